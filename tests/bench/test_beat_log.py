"""Reading what an edit cost our beat from its log."""

from datetime import datetime

from bench.phase import edit_refresh_ms

LOG = (
    "[2026-11-27 12:33:10,123: INFO/MainProcess] beat: 100000 periodic tasks loaded\n"
    "[2026-11-27 12:33:12,500: INFO/MainProcess] beat: schedule refreshed in 48.0 ms "
    "(3 changed rows)\n"
    "[2026-11-27 12:34:10,123: INFO/MainProcess] beat: schedule refreshed in 12.5 ms "
    "(1 changed rows)\n"
)


def at(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").astimezone().timestamp()


def test_it_takes_the_longest_refresh_from_the_edit_on():
    assert edit_refresh_ms(LOG, at("2026-11-27 12:34:00")) == 12.5
    assert edit_refresh_ms(LOG, at("2026-11-27 12:33:00")) == 48.0


def test_a_scheduler_that_logs_no_refresh_has_no_figure():
    assert edit_refresh_ms("[2026-11-27 12:33:10,123: INFO/MainProcess] beat: Starting...\n",
                           at("2026-11-27 12:33:00")) is None
