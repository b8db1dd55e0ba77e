"""Build a Temporal workflow history (the server's JSON export format) without a server.

The history is the one a Temporal server holds for a chain of ``calls``
activities of type ``llm_call`` (the shape of the course's Q1 workflow) whose
worker died after activity ``crash_at`` had its effect: activities before it
completed; activity ``crash_at`` was retried on another worker after its
start-to-close timeout (attempt 2) and completed; the server then scheduled a
workflow task, which the new worker (running the new code) picks up and must
replay. No Temporal import is needed to build it.
"""

import base64
import json

WORKFLOW_TYPE = "Chain"
TASK_QUEUE = "conformance"
T0 = "2024-01-01T00:00:00Z"
CORE_FLAGS = [1, 2]


def _payload(value) -> dict:
    data = json.dumps(value, separators=(",", ":")).encode()
    return {"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
            "data": base64.b64encode(data).decode()}


class _Events:
    def __init__(self):
        self.events: list[dict] = []
        self.flagged = False

    def add(self, etype: str, attr_key: str, attrs: dict) -> int:
        eid = len(self.events) + 1
        self.events.append({"eventId": str(eid), "eventTime": T0, "eventType": etype, "taskId": str(1000 + eid),
                            attr_key: attrs})
        return eid

    def workflow_task(self, complete: bool = True) -> int | None:
        sched = self.add("WorkflowTaskScheduled", "workflowTaskScheduledEventAttributes",
                         {"taskQueue": {"name": TASK_QUEUE, "kind": "Normal"}, "startToCloseTimeout": "10s",
                          "attempt": 1})
        started = self.add("WorkflowTaskStarted", "workflowTaskStartedEventAttributes",
                           {"scheduledEventId": str(sched), "identity": "worker-1"})
        if not complete:
            return None
        attrs = {"scheduledEventId": str(sched), "startedEventId": str(started), "identity": "worker-1"}
        if not self.flagged:
            # A current worker records the core SDK flags it used on its first task. Flag 1 turns on
            # the activity id-and-type checks; a history without it replays under the lenient legacy rules.
            attrs["sdkMetadata"] = {"coreUsedFlags": CORE_FLAGS, "sdkName": "temporal-python"}
            self.flagged = True
        return self.add("WorkflowTaskCompleted", "workflowTaskCompletedEventAttributes", attrs)

    def activity(self, activity_id: int, wft_completed: int, arg, result, attempt: int = 1) -> None:
        sched = self.add("ActivityTaskScheduled", "activityTaskScheduledEventAttributes", {
            "activityId": str(activity_id), "activityType": {"name": "llm_call"},
            "taskQueue": {"name": TASK_QUEUE, "kind": "Normal"}, "header": {},
            "input": {"payloads": [_payload(arg)]},
            "scheduleToCloseTimeout": "0s", "scheduleToStartTimeout": "0s", "startToCloseTimeout": "120s",
            "heartbeatTimeout": "0s", "workflowTaskCompletedEventId": str(wft_completed),
            "retryPolicy": {"initialInterval": "1s", "backoffCoefficient": 2, "maximumInterval": "100s",
                            "maximumAttempts": 0}})
        # The server writes ActivityTaskStarted only when the attempt ends, with its attempt number.
        started = self.add("ActivityTaskStarted", "activityTaskStartedEventAttributes",
                           {"scheduledEventId": str(sched), "identity": "worker", "attempt": attempt})
        self.add("ActivityTaskCompleted", "activityTaskCompletedEventAttributes",
                 {"result": {"payloads": [_payload(result)]}, "scheduledEventId": str(sched),
                  "startedEventId": str(started), "identity": "worker"})


def answer(i: int) -> str:
    """What activity ``i`` (1-based) returned."""
    return f"answer-{i:02d}"


def chain_history(calls: int, crash_at: int | None) -> dict:
    """The history a new worker replays after a crash in activity ``crash_at`` (None = a clean, finished run)."""
    ev = _Events()
    ev.add("WorkflowExecutionStarted", "workflowExecutionStartedEventAttributes", {
        "workflowType": {"name": WORKFLOW_TYPE}, "taskQueue": {"name": TASK_QUEUE, "kind": "Normal"},
        "input": {"payloads": [_payload(calls)]}, "workflowTaskTimeout": "10s", "attempt": 1,
        "originalExecutionRunId": "run-1", "firstExecutionRunId": "run-1", "identity": "client"})
    last = crash_at if crash_at is not None else calls
    prompt = ""
    for i in range(1, last + 1):
        wft = ev.workflow_task()
        ev.activity(i, wft, prompt, answer(i), attempt=2 if i == crash_at else 1)
        prompt = answer(i)
    if crash_at is not None:
        ev.workflow_task(complete=False)   # the task the new worker is replaying now
    else:
        wft = ev.workflow_task()
        ev.add("WorkflowExecutionCompleted", "workflowExecutionCompletedEventAttributes",
               {"result": {"payloads": [_payload(prompt)]}, "workflowTaskCompletedEventId": str(wft)})
    return {"events": ev.events}
