"""What the probes answer: started once state is restored, ready while connected with work, live while looping."""

from __future__ import annotations

from ingest.health import Health


def test_a_role_is_started_only_after_its_state_is_restored_and_stays_started() -> None:
    health = Health(liveness_timeout_s=60)
    health.register("processor")
    health.register("poller")
    assert health.started() == (False, {"processor": False, "poller": False})
    health.set_started("processor")
    assert health.started()[0] is False
    health.set_started("poller")
    health.set_ready("poller", False)  # a broker outage later makes it not ready, never "not started"
    assert health.started() == (True, {"processor": True, "poller": True})
    assert health.ready()[0] is False


def test_liveness_follows_the_loops_heartbeats_not_readiness() -> None:
    now = [100.0]
    health = Health(liveness_timeout_s=30, clock=lambda: now[0])
    health.register("poller")
    now[0] += 31
    assert health.live() == (False, {"poller": 31.0})
    health.beat("poller")
    assert health.live()[0] is True
    live = Health(liveness_timeout_s=60)
    live.register("poller")
    assert live.live()[0] is True and live.ready()[0] is False
