"""Timer triggers on the local host: NCRONTAB schedules (seconds first) and runOnStartup."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import azure.functions as func
import pytest

from local_host.triggers import TimerRunner, TimerTrigger, triggers_of
from tests.local_host.conftest import Serve

ROOT = Path(__file__).resolve().parents[2]

WAIT_SECONDS = 5


def runner(schedule: str) -> TimerRunner:
    trigger = TimerTrigger("timer", schedule, False, "timer", lambda timer: None)
    return TimerRunner(trigger, threading.Event())


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        # Every five minutes, on the minute (the outbox sweep's schedule).
        ("0 */5 * * * *", datetime(2025, 1, 1, 12, 3, 7), datetime(2025, 1, 1, 12, 5, 0)),
        ("0 */5 * * * *", datetime(2025, 1, 1, 12, 5, 0), datetime(2025, 1, 1, 12, 10, 0)),
        # The first field is the second, not the minute.
        ("15 * * * * *", datetime(2025, 1, 1, 12, 3, 7), datetime(2025, 1, 1, 12, 3, 15)),
        ("*/10 * * * * *", datetime(2025, 1, 1, 12, 3, 7), datetime(2025, 1, 1, 12, 3, 10)),
        # Weekdays at 09:00:30; 2025-01-04 is a Saturday.
        ("30 0 9 * * 1-5", datetime(2025, 1, 4, 10, 0, 0), datetime(2025, 1, 6, 9, 0, 30)),
        # Daily at 02:00, across a month's end.
        ("0 0 2 * * *", datetime(2025, 1, 31, 3, 0, 0), datetime(2025, 2, 1, 2, 0, 0)),
    ],
)
def test_the_next_occurrence_of_an_ncrontab_schedule(
    schedule: str, after: datetime, expected: datetime
) -> None:
    assert runner(schedule).next_after(after.replace(tzinfo=UTC)) == expected.replace(tzinfo=UTC)


def test_the_outbox_sweep_is_scheduled_every_five_minutes_and_on_startup() -> None:
    from functions import emails

    app = func.FunctionApp()
    app.register_functions(emails.bp)
    _, timers = triggers_of(app.get_functions())
    (sweep,) = [timer for timer in timers if timer.function_name == "sweep_outbox"]
    assert sweep.run_on_startup
    moment = datetime(2025, 3, 1, 8, 1, 0, tzinfo=UTC)
    occurrences = []
    for _ in range(3):
        moment = TimerRunner(sweep, threading.Event()).next_after(moment)
        occurrences.append(moment.strftime("%H:%M:%S"))
    assert occurrences == ["08:05:00", "08:10:00", "08:15:00"]


def test_the_outbox_sweep_runs_on_startup_only_in_local_mode() -> None:
    # Imported afresh in a process whose settings say "not local mode" (only dev_mode is
    # read at import; the production settings themselves are the settings tests' concern).
    program = (
        "import types, shared.settings as settings\n"
        "settings.load_settings = lambda **_: types.SimpleNamespace(dev_mode=False)\n"
        "import azure.functions as func\n"
        "from functions import emails\n"
        "from local_host.triggers import triggers_of\n"
        "app = func.FunctionApp()\n"
        "app.register_functions(emails.bp)\n"
        "_, timers = triggers_of(app.get_functions())\n"
        "print([(t.function_name, t.run_on_startup) for t in timers])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[('sweep_outbox', False)]"


def timer_app(events: dict[str, list[func.TimerRequest]]) -> func.FunctionApp:
    app = func.FunctionApp()

    # Once a year: only runOnStartup can make these fire during a test.
    @app.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *", run_on_startup=True)
    def on_startup(timer: func.TimerRequest) -> None:
        events["on_startup"].append(timer)

    @app.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *", run_on_startup=False)
    def yearly(timer: func.TimerRequest) -> None:
        events["yearly"].append(timer)

    @app.timer_trigger(arg_name="timer", schedule="* * * * * *")
    def every_second(timer: func.TimerRequest) -> None:
        events["every_second"].append(timer)

    return app


def test_timers_fire_on_startup_and_on_their_schedule(serve: Serve) -> None:
    events: dict[str, list[func.TimerRequest]] = {
        "on_startup": [],
        "yearly": [],
        "every_second": [],
    }
    serve(timer_app(events), run_timers=True)

    deadline = time.monotonic() + WAIT_SECONDS
    while len(events["every_second"]) < 2 or not events["on_startup"]:
        assert time.monotonic() < deadline, events
        time.sleep(0.05)

    assert len(events["on_startup"]) == 1
    assert events["on_startup"][0].past_due is False
    assert not any(timer.past_due for timer in events["every_second"])
    assert events["yearly"] == []


def test_a_host_told_not_to_run_timers_or_queues_starts_none(serve: Serve) -> None:
    events: dict[str, list[func.TimerRequest]] = {
        "on_startup": [],
        "yearly": [],
        "every_second": [],
    }
    host = serve(timer_app(events), run_timers=False, run_queues=False)
    assert host.timers == [] and host.listeners == []
