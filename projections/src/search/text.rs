//! Full-text queries, read the same way by both backends.
//!
//! Clients write web-search syntax: words that must all match, `"a
//! phrase"`, `-word`, `a or b`. Elasticsearch gets it as a
//! `simple_query_string` ([`simple_query`]: a standalone `or` becomes `|`)
//! with `and` as the default operator, and its parser (Lucene's
//! `SimpleQueryParser`) has no precedence: it reads operators left to
//! right, each change of operator wrapping everything read so far, so
//! `bread or cheese -apple` is `(bread or cheese) and not apple`, and
//! `apple bread or cheese` is `(apple and bread) or cheese`. Postgres's
//! `websearch_to_tsquery` binds `and` tighter than `or` and would read
//! them differently, so the fallback parses the same string the same way
//! ([`TextQuery::parse`]) and builds its `tsquery` from the tree
//! ([`push_tsquery`]): words and phrases as `phraseto_tsquery` with the
//! `simple` configuration.
//!
//! A word the analyzers split into several tokens (`sim-x-v01-s1`: any
//! character but letters and digits inside it) is sent as a phrase
//! (`"sim-x-v01-s1"`, a negation staying outside: `-"sim-x"`): as a bare
//! word, `simple_query_string` would match its tokens anywhere in the
//! text, each on its own; as a phrase it matches them in sequence, as the
//! fallback's `phraseto_tsquery` does.

use sqlx::{Postgres, QueryBuilder};

/// The web-search syntax as `simple_query_string` syntax: outside quotes,
/// a standalone `or` becomes `|` and a word of several tokens a phrase
/// ([`as_phrase`]).
pub fn simple_query(text: &str) -> String {
    let mut quoted = false;
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let opens_or_closes = word.matches('"').count() % 2 == 1;
        if !quoted && word.eq_ignore_ascii_case("or") {
            out.push("|".to_owned());
        } else if !quoted && !word.contains('"') {
            // `|` ends a word even without spaces around it
            let words: Vec<String> = word.split('|').map(as_phrase).collect();
            out.push(words.join("|"));
        } else {
            out.push(word.to_owned());
        }
        quoted ^= opens_or_closes;
    }
    out.join(" ")
}

/// A bare word (no quote, no `|`) quoted when it holds anything but
/// letters and digits, its leading `-`s (negations) left outside.
fn as_phrase(word: &str) -> String {
    let bare = word.trim_start_matches('-');
    if bare.chars().all(char::is_alphanumeric) {
        return word.to_owned();
    }
    let negations = &word[..word.len() - bare.len()];
    format!("{negations}\"{bare}\"")
}

/// How two clauses combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Both must match (the default between clauses).
    And,
    /// Either matches (`|`, `or`).
    Or,
}

/// A text query as `simple_query_string` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextQuery {
    /// A word: letters and digits only (one of several tokens is sent as
    /// a phrase, [`simple_query`]).
    Word(String),
    /// The words of a phrase, in order and adjacent.
    Phrase(String),
    /// Documents not matching the clause.
    Not(Box<TextQuery>),
    /// Clauses combined by one operator.
    Bool(Op, Vec<TextQuery>),
}

/// The parser's state, as in Lucene's `SimpleQueryParser`.
#[derive(Default)]
struct State {
    top: Option<TextQuery>,
    previous: Option<Op>,
    current: Option<Op>,
}

impl State {
    /// Adds a clause: a change of operator wraps everything so far.
    fn add(&mut self, branch: TextQuery, negated: bool) {
        let branch = if negated {
            TextQuery::Not(Box::new(branch))
        } else {
            branch
        };
        self.top = Some(match self.top.take() {
            None => branch,
            Some(top) => {
                let op = self.current.unwrap_or(Op::And);
                let mut clauses = match top {
                    TextQuery::Bool(was, clauses) if self.previous == Some(op) && was == op => {
                        clauses
                    }
                    top => vec![top],
                };
                clauses.push(branch);
                self.previous = Some(op);
                TextQuery::Bool(op, clauses)
            }
        });
        self.current = None;
    }

    /// An operator between clauses (ignored before the first one).
    fn operator(&mut self, op: Op) {
        if self.current.is_none() && self.top.is_some() {
            self.current = Some(op);
        }
    }
}

/// Characters that end a word (`-` does not: `vendor-b` is one word,
/// which [`simple_query`] has quoted as a phrase).
fn ends_word(c: char) -> bool {
    c == '"' || c == '|' || c.is_whitespace()
}

impl TextQuery {
    /// `text` (web-search syntax) as Elasticsearch reads its
    /// [`simple_query`] with the flags `OR|NOT|PHRASE|WHITESPACE`; `None`
    /// when it holds no clause at all (it then matches nothing).
    pub fn parse(text: &str) -> Option<Self> {
        let chars: Vec<char> = simple_query(text).chars().collect();
        let mut state = State::default();
        let (mut i, mut not) = (0, 0u32);
        while i < chars.len() {
            match chars[i] {
                '"' => {
                    let end = (i + 1..chars.len())
                        .find(|&j| chars[j] == '"')
                        .unwrap_or(chars.len());
                    let phrase: String = chars[i + 1..end].iter().collect();
                    state.add(Self::Phrase(phrase), not % 2 == 1);
                    i = end + 1;
                }
                '|' => {
                    state.operator(Op::Or);
                    i += 1;
                }
                '-' => {
                    // a negation holds only if the clause follows at once
                    not += 1;
                    i += 1;
                    continue;
                }
                c if c.is_whitespace() => i += 1,
                _ => {
                    let end = (i..chars.len())
                        .find(|&j| ends_word(chars[j]))
                        .unwrap_or(chars.len());
                    let word: String = chars[i..end].iter().collect();
                    state.add(Self::Word(word), not % 2 == 1);
                    i = end;
                }
            }
            not = 0;
        }
        state.top
    }
}

/// Pushes `query` as a `tsquery` expression (configuration `simple`), its
/// words and phrases as bound parameters.
pub fn push_tsquery(qb: &mut QueryBuilder<'_, Postgres>, query: &TextQuery) {
    match query {
        // a phrase of several tokens (`buyer-3`) is their sequence, as
        // Elasticsearch reads the phrase: not `buyer` anywhere and `-3`
        // anywhere (`o-3` holds `-3`)
        TextQuery::Word(words) | TextQuery::Phrase(words) => {
            qb.push("phraseto_tsquery('simple', ")
                .push_bind(words.clone())
                .push(")");
        }
        TextQuery::Not(clause) => {
            qb.push("(!! ");
            push_tsquery(qb, clause);
            qb.push(")");
        }
        TextQuery::Bool(op, clauses) => {
            let joint = match op {
                Op::And => " && ",
                Op::Or => " || ",
            };
            qb.push("(");
            for (n, clause) in clauses.iter().enumerate() {
                if n > 0 {
                    qb.push(joint);
                }
                push_tsquery(qb, clause);
            }
            qb.push(")");
        }
    }
}

/// Pushes ` and <column> @@ <text's tsquery>` (` and false` when the text
/// holds no clause).
pub fn push_text_match(qb: &mut QueryBuilder<'_, Postgres>, column: &str, text: &str) {
    match TextQuery::parse(text) {
        Some(query) => {
            qb.push(format!(" and {column} @@ "));
            push_tsquery(qb, &query);
        }
        None => {
            qb.push(" and false");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str) -> TextQuery {
        TextQuery::Word(w.to_owned())
    }

    fn not(q: TextQuery) -> TextQuery {
        TextQuery::Not(Box::new(q))
    }

    #[test]
    fn web_search_or_becomes_a_pipe_outside_quotes_only() {
        assert_eq!(simple_query("apple or bread"), "apple | bread");
        assert_eq!(
            simple_query("\"bread or butter\" -stale"),
            "\"bread or butter\" -stale"
        );
        assert_eq!(simple_query("  cheese   OR  milk "), "cheese | milk");
    }

    #[test]
    fn a_word_of_several_tokens_is_sent_as_a_phrase() {
        // a whole SKU matches its tokens in sequence, not each anywhere
        assert_eq!(simple_query("sim-x-v01-s1"), "\"sim-x-v01-s1\"");
        // a negation stays outside the quotes
        assert_eq!(simple_query("v01 -sim-x"), "v01 -\"sim-x\"");
        assert_eq!(simple_query("--a.b"), "--\"a.b\"");
        // words of letters and digits, phrases, operators stay as they are
        assert_eq!(
            simple_query("v01 -s2 é9 \"a-b c\" or - |"),
            "v01 -s2 é9 \"a-b c\" | - |"
        );
        // `|` ends a word without spaces around it
        assert_eq!(simple_query("a-b|-c_d|e"), "\"a-b\"|-\"c_d\"|e");
        // a word a quote touches is left to the phrase syntax
        assert_eq!(simple_query("x-y\"z"), "x-y\"z");
        assert_eq!(
            TextQuery::parse("-sim-x v01"),
            Some(TextQuery::Bool(
                Op::And,
                vec![not(TextQuery::Phrase("sim-x".into())), word("v01")]
            ))
        );
    }

    #[test]
    fn operators_are_read_left_to_right_without_precedence() {
        use Op::{And, Or};
        assert_eq!(
            TextQuery::parse("bread or cheese -apple"),
            Some(TextQuery::Bool(
                And,
                vec![
                    TextQuery::Bool(Or, vec![word("bread"), word("cheese")]),
                    not(word("apple")),
                ]
            ))
        );
        assert_eq!(
            TextQuery::parse("apple bread or cheese"),
            Some(TextQuery::Bool(
                Or,
                vec![
                    TextQuery::Bool(And, vec![word("apple"), word("bread")]),
                    word("cheese"),
                ]
            ))
        );
        assert_eq!(
            TextQuery::parse("a b c | d | e"),
            Some(TextQuery::Bool(
                Or,
                vec![
                    TextQuery::Bool(And, vec![word("a"), word("b"), word("c")]),
                    word("d"),
                    word("e"),
                ]
            ))
        );
    }

    #[test]
    fn phrases_negations_and_stray_operators() {
        use Op::And;
        assert_eq!(
            TextQuery::parse("\"vendor-b bread\" -\"stale or old\" vendor-b"),
            Some(TextQuery::Bool(
                And,
                vec![
                    TextQuery::Phrase("vendor-b bread".into()),
                    not(TextQuery::Phrase("stale or old".into())),
                    TextQuery::Phrase("vendor-b".into()),
                ]
            ))
        );
        // a negation must touch its clause; two cancel out
        assert_eq!(
            TextQuery::parse("- apple --bread"),
            Some(TextQuery::Bool(And, vec![word("apple"), word("bread")]))
        );
        // an operator before the first clause or at the end changes nothing
        assert_eq!(TextQuery::parse("or apple or"), Some(word("apple")));
        // an unclosed quote runs to the end
        assert_eq!(
            TextQuery::parse("\"olive oil"),
            Some(TextQuery::Phrase("olive oil".into()))
        );
        assert_eq!(TextQuery::parse("| -"), None);
    }
}
