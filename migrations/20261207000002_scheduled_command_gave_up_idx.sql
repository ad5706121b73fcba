-- The scheduler looks, on every poll, for pending timers whose attempts are
-- used up (commands/src/scheduler.rs, give_up). Without an index on
-- attempts that walked every pending timer (tens of milliseconds once a
-- busy marketplace has tens of thousands of payouts and inspections
-- pending); with this one it reads only the few that failed that often.
create index scheduled_command_attempts_idx on scheduled_command (attempts) where status = 'pending';
