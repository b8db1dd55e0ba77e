"""A Temporal event history in the server's JSON export format, built without a server.

No Temporal server runs offline here, so the history the real Replayer reads is
written out by hand. Field names follow the ``temporal.api.history.v1``
protobuf messages as rendered by the proto3 JSON mapping that ``temporal
workflow show --output json`` and ``WorkflowHistory.from_json`` use:
``HistoryEvent.event_id/event_time/event_type/task_id`` and one
``*_event_attributes`` message per event type
(``ActivityTaskScheduledEventAttributes.activity_id/activity_type/
start_to_close_timeout/workflow_task_completed_event_id/retry_policy``,
``ActivityTaskCompletedEventAttributes.result/scheduled_event_id/started_event_id``,
``WorkflowTaskCompletedEventAttributes.sdk_metadata.core_used_flags``...).
"""

from __future__ import annotations

import base64
import json

__all__ = ["chain_in_flight"]

QUEUE = {"name": "conformance", "kind": "TASK_QUEUE_KIND_NORMAL"}
T0 = "2026-01-01T00:00:00Z"


def _payload(value) -> dict:
    data = json.dumps(value, separators=(",", ":")).encode()
    return {"metadata": {"encoding": base64.b64encode(b"json/plain").decode()}, "data": base64.b64encode(data).decode()}


class _History:
    def __init__(self):
        self.events: list[dict] = []

    def add(self, etype: str, key: str, attrs: dict) -> int:
        eid = len(self.events) + 1
        self.events.append({"eventId": str(eid), "eventTime": T0, "eventType": etype, "taskId": str(1000 + eid),
                            key: attrs})
        return eid

    def workflow_task(self) -> int:
        sched = self.add("EVENT_TYPE_WORKFLOW_TASK_SCHEDULED", "workflowTaskScheduledEventAttributes",
                         {"taskQueue": QUEUE, "startToCloseTimeout": "10s", "attempt": 1})
        started = self.add("EVENT_TYPE_WORKFLOW_TASK_STARTED", "workflowTaskStartedEventAttributes",
                           {"scheduledEventId": str(sched), "identity": "worker-1"})
        attrs: dict[str, object] = {"scheduledEventId": str(sched), "startedEventId": str(started), "identity": "worker-1"}
        if sched == 2:
            # The first completed task records the core SDK flags in use; flag 1 turns on the checks that an
            # activity's id and type match the history (without it the Replayer uses lenient legacy rules).
            attrs["sdkMetadata"] = {"coreUsedFlags": [1, 2], "sdkName": "temporal-python"}
        return self.add("EVENT_TYPE_WORKFLOW_TASK_COMPLETED", "workflowTaskCompletedEventAttributes", attrs)

    def scheduled(self, activity_id: int, wft: int, arg) -> int:
        return self.add("EVENT_TYPE_ACTIVITY_TASK_SCHEDULED", "activityTaskScheduledEventAttributes", {
            "activityId": str(activity_id), "activityType": {"name": "llm_call"}, "taskQueue": QUEUE,
            "header": {}, "input": {"payloads": [_payload(arg)]}, "scheduleToCloseTimeout": "0s",
            "scheduleToStartTimeout": "0s", "startToCloseTimeout": "5s", "heartbeatTimeout": "0s",
            "workflowTaskCompletedEventId": str(wft),
            "retryPolicy": {"initialInterval": "1s", "backoffCoefficient": 2, "maximumInterval": "100s",
                            "maximumAttempts": 0}})

    def completed(self, sched: int, result) -> None:
        # The server writes ActivityTaskStarted only when the attempt ends.
        started = self.add("EVENT_TYPE_ACTIVITY_TASK_STARTED", "activityTaskStartedEventAttributes",
                           {"scheduledEventId": str(sched), "identity": "worker-1", "attempt": 1})
        self.add("EVENT_TYPE_ACTIVITY_TASK_COMPLETED", "activityTaskCompletedEventAttributes",
                 {"result": {"payloads": [_payload(result)]}, "scheduledEventId": str(sched),
                  "startedEventId": str(started), "identity": "worker-1"})


def chain_in_flight(calls: int, in_flight: int) -> dict:
    """The history of a chain of ``calls`` activities cut at a crash during activity ``in_flight``.

    Activities before it completed; activity ``in_flight`` has only its ``ActivityTaskScheduled``
    event (its result never reached the server), exactly as the server holds it at the crash.
    """
    h = _History()
    h.add("EVENT_TYPE_WORKFLOW_EXECUTION_STARTED", "workflowExecutionStartedEventAttributes", {
        "workflowType": {"name": "Chain"}, "taskQueue": QUEUE, "input": {"payloads": [_payload(calls)]},
        "workflowTaskTimeout": "10s", "attempt": 1, "originalExecutionRunId": "run-1",
        "firstExecutionRunId": "run-1", "identity": "client"})
    answer = ""
    for i in range(1, in_flight + 1):
        sched = h.scheduled(i, h.workflow_task(), answer)
        if i < in_flight:
            answer = f"answer-{i}"
            h.completed(sched, answer)
    return {"events": h.events}
