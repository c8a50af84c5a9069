"""A replay says how many records the broker no longer holds (below its low watermarks)."""

from __future__ import annotations

from dashboard_kit import still_app

from rtd_tui.consumer import ConsumeLoop, PartitionInfo


async def test_a_replay_says_how_much_the_broker_dropped() -> None:
    app = still_app()
    consumer = ConsumeLoop({}, app.pipeline.settings.topic, app.store)
    consumer.partitions = tuple(PartitionInfo(p, 1_000 * p, 5_000, 5_000) for p in range(4))
    app.pipeline.consumer = consumer
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await pilot.press("r", "enter")  # the dialog's first line: from the beginning
        await pilot.pause()
        await pilot.pause()
        toasts = [str(toast.render()) for toast in app.screen.query("Toast")]
        assert any("; 6,000 older records are gone from the broker" in t for t in toasts), toasts
