"""The graded notebooks: Self-Check Q1–Q4 and Exercise 64.4.1, question by question.

An assignment lists its questions (each named after its answer variable) and,
for Exercise 64.4.1, the workflow function Part B runs under the fault
campaign. Points, hints and rubrics live here; reference answers do not (they
are digests in `simlib.grading.key`, or computed by the simulator).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import ConfigError
from .normalize import ENGINE_ALIASES, FAMILY_ALIASES
from .questions import KeyedChoice, KeyedSet, Question, SimNumber, SimSet, Text
from .returns import STEP_NAMES
from .rubric import Concept, Misconception, Rubric

__all__ = ["Assignment", "ASSIGNMENTS", "get_assignment", "SELF_CHECK", "EXERCISE"]


@dataclass(frozen=True)
class Assignment:
    """One graded notebook.

    Attributes:
        id: the notebook's stem (``self-check-64.4``); also stored in its metadata.
        title: shown in reports.
        questions: the questions graded from answer variables.
        workflow: the variable holding Part B's workflow function ("" when there is none).
    """

    id: str
    title: str
    questions: tuple[Question, ...]
    workflow: str = ""

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise ConfigError(f"unknown question {qid!r} in {self.id}; allowed: "
                          f"{', '.join(q.id for q in self.questions)}")

    @property
    def variables(self) -> list[str]:
        """Every answer variable, the workflow's included."""
        return [q.id for q in self.questions] + ([self.workflow] if self.workflow else [])


def C(name: str, hint: str, *patterns: str, points: float = 1.0) -> Concept:
    return Concept(name, tuple(patterns), hint, points)


# ---------------------------------------------------------------------- misconceptions
_ENGINES = r"(temporal|the engine|an engine|the workflow engine|durable execution|restate|inngest|hatchet|" \
           r"langgraph|the framework|the platform)"

NO_KEYS_NEEDED = Misconception(
    "exactly-once makes idempotency keys unnecessary",
    (r"(no|never|not|without|don't|doesn't|do not|does not|won't)\s+(\w+\s+){0,2}(need|needs|needed|necessary|"
     r"required|have to)\b[^.;]*\b(idempoten\w*|keys?|de-?dup\w*)",
     r"(idempoten\w*|keys?)\b[^.;]{0,40}\b(unnecessary|not needed|not necessary|not required|redundant|"
     r"useless|pointless|needless|overkill)",
     r"no (need|reason) (for|to use|to add) (\w+ ){0,2}(idempoten\w*|keys?)"),
    "An engine records a step's result only after the step returns. A crash between the effect and that "
    "record runs the step again, and only an idempotency key lets the provider recognise the repeat.")

ENGINE_EXACTLY_ONCE = Misconception(
    "the engine alone makes every effect exactly-once",
    (_ENGINES,),
    "Temporal makes the workflow's own progress durable, but its activities run at least once: a step "
    "that crashed after its effect runs again. Exactly-once effects come from the engine and idempotency "
    "keys together.",
    with_=(r"(guarantee\w*|ensur\w*|provid\w*|gives?|promis\w*|makes? sure|handles?|takes? care|offers?)",
           r"exactly[- ]once"),
    unless=(r"idempoten\w*", r"de-?dup\w*", r"at[- ]least[- ]once", r"(idempotency|dedup\w*|unique) keys?"))

NO_RETRIES = Misconception(
    "exactly-once means a step is never retried",
    (r"never (be |gets? )?retried", r"(no|without) retr(y|ies) (at all|ever)", r"only (ever )?(tried|attempted|"
     r"run|executed) once", r"(is|are) not retried", r"never (re-?runs?|re-?execut\w*|runs? again)"),
    "Exactly-once does not forbid retries: engines retry a lot. What must happen once is the effect in the "
    "outside world.")

AUTO_UNDO = Misconception(
    "the engine undoes side effects by itself",
    (_ENGINES, r"it"),
    "No engine takes back an outside effect by itself. The workflow must call the compensation (void the "
    "label) when the refund is declined; the engine makes sure that call runs.",
    with_=(r"(automatic\w*|by itself|on its own|for you|for free|itself)",
           r"(roll\w* back|rollback\w*|undo\w*|revers\w*|revert\w*|compensat\w*|cancel\w*)"))


# ---------------------------------------------------------------------- Self-Check
_Q1 = (
    SimNumber("q1_none_steps_lost", 1, "count the steps that had finished before the crash and must run "
              "again when nothing was saved", run="q1-none", field="completed_steps_lost"),
    SimNumber("q1_temporal_steps_lost", 1, "what happens to a step whose result is already in the event "
              "history when the workflow replays?", run="q1-temporal", field="completed_steps_lost"),
    SimNumber("q1_none_calls_repeated", 1, "the crash hit step 15 after the provider billed it: count "
              "every call that is paid for a second time", run="q1-none", field="llm_calls_repeated"),
    SimNumber("q1_temporal_calls_repeated", 1, "only a call whose result never reached the history runs "
              "again", run="q1-temporal", field="llm_calls_repeated"),
    SimNumber("q1_none_usd_respent", 1, "multiply the repeated calls by the price of one call (about "
              "$0.0155: 3,000 prompt tokens at $2.50/M plus 800 output tokens at $10/M)",
              run="q1-none", field="llm_cost_reexecuted_usd", rel_tol=0.2),
)

_LETTERS = {"a": ("option a", "(a)"), "b": ("option b", "(b)"), "c": ("option c", "(c)"),
            "d": ("option d", "(d)")}

_Q2 = (
    KeyedChoice("q2_definition", 1, "read each option as a promise about the outside world, retries and "
                "crashes included", aliases=_LETTERS, sentences=False),
    SimSet("q2_repeated_none", 1, "without durability the job starts again from step 1 after the crash",
           run="five-none"),
    SimSet("q2_repeated_temporal", 1, "Temporal replays recorded steps; which step had done its effect "
           "without a record?", run="five-temporal"),
    SimSet("q2_repeated_temporal_keyed", 1, "the provider remembers every key it has seen (use set() for "
           "no step)", run="five-keyed-temporal"),
    KeyedChoice("q2_failure_mode", 1, "answer with one letter: a, b, c or d",
                aliases=_LETTERS, sentences=False, nudges={
                    "a": "look at steps 1 and 2 after the crash: did they run again, or were they replayed?",
                    "b": "compare when the effect happened with when the result was recorded",
                    "c": "count the effects of steps 1 and 2 in the same run",
                    "d": "read the crash point: had the effect already happened when the worker died?"}),
    Text("q2_why", 3, "explain how a repeat happens, what it costs the customer, and what prevents it",
         rubric=Rubric((
             C("how a step runs again", "say what happens to a step when its worker crashes or an attempt "
               "is retried", r"retr\w*", r"crash\w*", r"re-?runs?", r"re-?execut\w*", r"restart\w*",
               r"repeat\w*", r"again", r"fail\w*"),
             C("the harm to the customer", "name the concrete damage for an email or a card charge",
               r"twice", r"double\w*", r"duplicat\w*", r"more than once", r"two (emails|charges|refunds)",
               r"second (email|charge|time)", r"charged again", r"sent again"),
             C("what prevents it", "say what stops the repeat from reaching the customer",
               r"idempoten\w*", r"de-?dup\w*", r"histor(y|ies)", r"journal\w*", r"record\w*", r"cach\w*",
               r"memoi\w*", r"keys?\b"),
         ), misconceptions=(NO_RETRIES, NO_KEYS_NEEDED, ENGINE_EXACTLY_ONCE))),
)

_Q3 = (
    KeyedSet("q3_engine_needed", 2, "an engine pays off when a workflow waits, runs long, branches or spans "
             "services", universe=range(1, 7)),
    Text("q3_why", 2, "give one reason checkpointing suffices and one that calls for an engine",
         rubric=Rubric((
             C("when checkpointing is enough", "say when your own checkpoints are enough (size of the workflow, "
               "what the team already runs, what an engine costs to operate)",
               r"simple\w*", r"few(er)? (than )?(steps|calls)", r"short\w*", r"small\w*", r"under (5|five)",
               r"already", r"existing", r"state machines?", r"database", r"overhead", r"operat\w*",
               r"clusters?"),
             C("when an engine is needed", "say which workflow shapes need an engine",
               r"long[- ]?running", r"hours?", r"days?", r"minutes", r"parallel\w*", r"fan[- ]?(out|in)",
               r"branch\w*", r"human\w*", r"approv\w*", r"wait\w*", r"cross[- ]service", r"coordinat\w*",
               r"timers?"),
         ))),
)

_Q4 = (
    KeyedChoice("q4_nightly_batch", 1, "is the nightly graph the same every night?", aliases=FAMILY_ALIASES),
    KeyedChoice("q4_on_demand_agents", 1, "who decides an agent's next step, and when?", aliases=FAMILY_ALIASES),
    Text("q4_why", 2, "contrast when each workflow's graph is known",
         rubric=Rubric((
             C("the batch graph is fixed", "say what is special about the nightly graph",
               r"static\w*", r"fixed", r"same (graph|dag|steps|sequence|tasks|every)", r"schedul\w*",
               r"known (in advance|ahead|up front|upfront|beforehand)", r"predefined", r"cron"),
             C("the agent graph is decided at run time", "say when an agent's steps are decided",
               r"run[- ]?time", r"dynamic\w*", r"decid\w*", r"determined (at|by|during|when)", r"chang\w*",
               r"var(y|ies|iable)", r"different (tools|paths|steps|graphs?|sequences?)",
               r"(llm|model|agent)s? (decides|chooses|picks)"),
         ))),
)

SELF_CHECK = Assignment("self-check-64.4", "Self-Check 64.4 (Q1–Q4)", _Q1 + _Q2 + _Q3 + _Q4)

# ---------------------------------------------------------------------- Exercise 64.4.1
_TASK_QUEUE = C("the rest of the system is task-queue shaped", "",
                r"task[- ]?queues?", r"queue[- ]shaped", r"celery", r"python[- ]first", r"worker (pool|fleet)s?",
                r"(already|existing) (\w+ ){0,3}(tasks?|workers?|queues?)")

_PART_A = (
    KeyedSet("a_idempotency_steps", 2, "which steps change something outside your system?",
             universe=range(1, 6), names=STEP_NAMES),
    KeyedSet("a_compensation_steps", 2, "if the refund fails, what has already happened that must be undone?",
             universe=range(1, 6), names=STEP_NAMES),
    KeyedChoice("a_engine_property", 1, "answer with one letter: a, b, c or d", aliases=_LETTERS, sentences=False, nudges={
                    "a": "think of a crash after the provider refunded but before the engine recorded it",
                    "b": "think about what the engine records, and when",
                    "c": "which line of your workflow calls the void when the refund is declined?",
                    "d": "does this workflow's next step depend on a model's choice?"}),
    KeyedChoice("a_engine", 2, "money moves, the order of steps is strict and a failure must be undone",
                aliases=ENGINE_ALIASES, justification=("a_why", _TASK_QUEUE)),
    Text("a_why", 3, "justify the engine with the workflow's needs",
         rubric=Rubric((
             C("money must move exactly once", "say why the refund raises the stakes",
               r"exactly[- ]once", r"financ\w*", r"money", r"payments?", r"(double|duplicate|two) refunds?",
               r"refund(ed)? twice", r"idempoten\w*"),
             C("a failure must be compensated", "say what happens to the label when the refund fails",
               r"sagas?", r"compensat\w*", r"void\w*", r"undo\w*", r"roll ?back\w*", r"revers\w*"),
             C("durable, ordered execution", "say what the engine does for the order and the crashes",
               r"order(ed|ing)?", r"sequen\w*", r"durab\w*", r"crash\w*", r"histor(y|ies)", r"replay\w*",
               r"retr\w*", r"surviv\w*", r"persist\w*"),
         ), misconceptions=(NO_KEYS_NEEDED, ENGINE_EXACTLY_ONCE, AUTO_UNDO))),
)

EXERCISE = Assignment("exercise-64.4.1-returns-agent", "Exercise 64.4.1: the returns agent", _PART_A,
                      workflow="returns_workflow")

ASSIGNMENTS = {a.id: a for a in (SELF_CHECK, EXERCISE)}


def get_assignment(assignment_id: str) -> Assignment:
    """An assignment by id, or a ConfigError naming the allowed ids."""
    try:
        return ASSIGNMENTS[assignment_id]
    except KeyError:
        raise ConfigError(f"unknown assignment {assignment_id!r}; allowed: {', '.join(ASSIGNMENTS)}") from None
