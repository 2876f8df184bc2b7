"""host.json and local.settings.json, read as the Functions host reads them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from local_host.config import (
    HostConfig,
    QueueOptions,
    load_host_config,
    load_local_settings,
    parse_timespan,
)

ROOT = Path(__file__).resolve().parents[2]


def write_settings(folder: Path, values: dict[str, object]) -> Path:
    path = folder / "local.settings.json"
    path.write_text(json.dumps({"IsEncrypted": False, "Values": values}))
    return path


def test_local_settings_fill_in_what_the_environment_lacks(tmp_path: Path) -> None:
    path = write_settings(tmp_path, {"DEV_MODE": "true", "PORTAL_ORIGIN": "http://x:1"})
    environ: dict[str, str] = {}
    filled = load_local_settings(path, environ)
    assert environ == {"DEV_MODE": "true", "PORTAL_ORIGIN": "http://x:1"}
    assert sorted(filled) == ["DEV_MODE", "PORTAL_ORIGIN"]


def test_the_environment_wins_over_local_settings(tmp_path: Path) -> None:
    path = write_settings(
        tmp_path, {"AzureWebJobsStorage": "UseDevelopmentStorage=true", "DEV_MODE": "true"}
    )
    environ = {"AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=real"}
    filled = load_local_settings(path, environ)
    assert environ["AzureWebJobsStorage"] == "DefaultEndpointsProtocol=https;AccountName=real"
    assert environ["DEV_MODE"] == "true"
    assert filled == ["DEV_MODE"]


def test_a_variable_set_to_the_empty_string_still_wins(tmp_path: Path) -> None:
    path = write_settings(tmp_path, {"EMAIL_SENDER": "noreply@contoso.com"})
    environ = {"EMAIL_SENDER": ""}
    assert load_local_settings(path, environ) == []
    assert environ == {"EMAIL_SENDER": ""}


def test_a_missing_local_settings_file_changes_nothing(tmp_path: Path) -> None:
    environ = {"A": "1"}
    assert load_local_settings(tmp_path / "local.settings.json", environ) == []
    assert environ == {"A": "1"}


def test_the_example_settings_file_loads(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    load_local_settings(ROOT / "local.settings.example.json", environ)
    assert environ["AzureWebJobsStorage"] == "UseDevelopmentStorage=true"
    assert all(isinstance(value, str) for value in environ.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("00:00:10", timedelta(seconds=10)),
        ("00:01:00", timedelta(minutes=1)),
        ("01:02:03", timedelta(hours=1, minutes=2, seconds=3)),
        ("1.02:03:04", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("00:00:00.5", timedelta(milliseconds=500)),
        ("00:00:01.250", timedelta(seconds=1, milliseconds=250)),
        (" 00:05:00 ", timedelta(minutes=5)),
        # The shorter forms .NET's TimeSpan.Parse also accepts.
        ("10", timedelta(days=10)),
        ("00:30", timedelta(minutes=30)),
        ("1.02:03", timedelta(days=1, hours=2, minutes=3)),
        ("1:2:3", timedelta(hours=1, minutes=2, seconds=3)),
        ("1:02:03:04", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("00:00:00.1234567", timedelta(microseconds=123457)),
    ],
)
def test_timespans_parse_as_dotnet_writes_them(text: str, expected: timedelta) -> None:
    assert parse_timespan(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "10s",
        "PT10S",
        "a.00:00:01",
        "-00:00:01",
        "00:60:00",
        "24:00:00",
        "00:00:60",
        "00:00:00.12345678",
        "1.2",
    ],
)
def test_a_malformed_timespan_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timespan(text)


def test_host_json_settings_are_read(tmp_path: Path) -> None:
    path = tmp_path / "host.json"
    path.write_text(
        json.dumps(
            {
                "version": "2.0",
                "extensions": {
                    "http": {"routePrefix": "/v2/"},
                    "queues": {
                        "batchSize": 8,
                        "maxDequeueCount": 3,
                        "visibilityTimeout": "00:00:30",
                        "maxPollingInterval": "00:00:02.500",
                        "newBatchThreshold": 6,
                    },
                },
                "functionTimeout": "00:02:30",
            }
        )
    )
    config = load_host_config(path)
    assert config == HostConfig(
        route_prefix="v2",
        queues=QueueOptions(
            batch_size=8,
            max_dequeue_count=3,
            visibility_timeout=timedelta(seconds=30),
            max_polling_interval=timedelta(seconds=2.5),
            new_batch_threshold=6,
        ),
        function_timeout=timedelta(minutes=2, seconds=30),
    )
    assert (config.queues.threshold, config.queues.max_in_flight) == (6, 14)


def test_what_host_json_leaves_out_takes_the_hosts_defaults(tmp_path: Path) -> None:
    path = tmp_path / "host.json"
    path.write_text(json.dumps({"version": "2.0", "extensions": {"queues": {"batchSize": 4}}}))
    config = load_host_config(path)
    assert config.route_prefix == "api"
    assert config.queues == QueueOptions(batch_size=4)
    assert config.queues.max_dequeue_count == 5
    # newBatchThreshold defaults to half a batch: up to 1.5 batches in flight.
    assert (config.queues.threshold, config.queues.max_in_flight) == (2, 6)
    assert config.function_timeout is None
    assert load_host_config(tmp_path / "absent.json") == HostConfig()


def test_a_function_timeout_of_minus_one_means_no_limit(tmp_path: Path) -> None:
    path = tmp_path / "host.json"
    path.write_text(json.dumps({"functionTimeout": "-1"}))
    assert load_host_config(path).function_timeout is None
    path.write_text(json.dumps({"functionTimeout": "00:61:00"}))
    with pytest.raises(ValueError):
        load_host_config(path)


def test_an_empty_route_prefix_is_kept_empty(tmp_path: Path) -> None:
    path = tmp_path / "host.json"
    path.write_text(json.dumps({"extensions": {"http": {"routePrefix": ""}}}))
    assert load_host_config(path).route_prefix == ""


def test_the_projects_host_json(tmp_path: Path) -> None:
    config = load_host_config(ROOT / "host.json")
    # The portal owns the origin's root; every API route spells out its own "api/".
    assert config.route_prefix == ""
    assert config.queues.max_dequeue_count == 5
    assert config.queues.visibility_timeout == timedelta(seconds=10)
    assert config.queues.max_polling_interval == timedelta(seconds=2)
    assert (config.queues.batch_size, config.queues.threshold) == (16, 8)
    assert config.function_timeout == timedelta(minutes=5)
