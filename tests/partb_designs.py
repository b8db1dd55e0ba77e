"""A bank of Part B designs as learners write them: mistaken ones and correct ones in several styles.

Each design is the source of a notebook cell (run after the exercise's setup cell, in a fresh
namespace, so module-level state is real module-level state) and the set of Part B invariants
it must fail. Its expected score is the number of invariants minus the failing ones; a design
that fails the happy-path gate scores 0. Reused by the batch tests through the sandbox.
"""

PRELUDE = "from simlib import ActivityError\nfrom simlib.grading import RETURN_WINDOW_DAYS\n"

# The reference design's body, reused below with one thing changed each time.
_REF = '''
def returns_workflow(ctx, order):
    yield ctx.tool("validate", payload={"order_id": order["order_id"]})
    if order["days_since_delivery"] > RETURN_WINDOW_DAYS:
        return "rejected"
    yield ctx.tool("check_inventory", payload={"sku": order["sku"]})
    label = yield ctx.tool("create_label", effect="create_label", idempotency_key=ctx.key("label"))
    try:
        refund = yield ctx.tool("issue_refund", effect="refund_card", payload={"amount": order["amount_usd"]},
                                idempotency_key=ctx.key("refund"))
    except ActivityError:
        yield ctx.tool("void_label", effect="void_label", payload={"label": label},
                       idempotency_key=ctx.key("void"))
        return "refund-declined"
    yield ctx.tool("send_confirmation", effect="send_email", payload={"refund": refund},
                   idempotency_key=ctx.key("email"))
    return "refunded"
'''


def _ref(old: str, new: str, count: int = 1) -> str:
    assert _REF.count(old) >= 1, old
    return _REF.replace(old, new, count)


GATE = "b_happy_path"

# name -> (source, invariants it fails, why a learner writes it)
MISTAKES = {
    "module-memory-instead-of-keys": ('''
_refunded = set()
_labelled = set()
_emailed = set()

def returns_workflow(ctx, order):
    yield ctx.tool("validate")
    if order["days_since_delivery"] > RETURN_WINDOW_DAYS:
        return "rejected"
    yield ctx.tool("check_inventory")
    oid = order["order_id"]
    if oid not in _labelled:
        _labelled.add(oid)
        yield ctx.tool("create_label", effect="create_label")
    if oid not in _refunded:
        _refunded.add(oid)
        try:
            yield ctx.tool("issue_refund", effect="refund_card")
        except ActivityError:
            yield ctx.tool("void_label", effect="void_label", idempotency_key=ctx.key("void"))
            return "refund-declined"
    if oid not in _emailed:
        _emailed.add(oid)
        yield ctx.tool("send_confirmation", effect="send_email")
    return "refunded"
''', {"b_one_refund", "b_one_email", "b_one_label"}, "remembers done steps in a module-level set"),

    "hard-coded-declined-id": ('''
def returns_workflow(ctx, order):
    yield ctx.tool("validate")
    if order["days_since_delivery"] > RETURN_WINDOW_DAYS:
        return "rejected"
    yield ctx.tool("check_inventory")
    label = yield ctx.tool("create_label", effect="create_label", idempotency_key=ctx.key("label"))
    if order["order_id"] == "RMA-1043":          # the declined order in ORDERS
        yield ctx.tool("void_label", effect="void_label", idempotency_key=ctx.key("void"))
        return "refund-declined"
    yield ctx.tool("issue_refund", effect="refund_card", idempotency_key=ctx.key("refund"))
    yield ctx.tool("send_confirmation", effect="send_email", idempotency_key=ctx.key("email"))
    return "refunded"
''', {"b_saga_voids_label", "b_result"}, "reads the declined order's id off the example orders"),

    "email-before-refund": (_ref('''    try:
        refund = yield ctx.tool("issue_refund"''', '''    yield ctx.tool("send_confirmation", effect="send_email", idempotency_key=ctx.key("email"))
    try:
        refund = yield ctx.tool("issue_refund"''').replace('''    yield ctx.tool("send_confirmation", effect="send_email", payload={"refund": refund},
                   idempotency_key=ctx.key("email"))
''', ""), {"b_confirm_after_refund", "b_steps"}, "sends the confirmation first, to be quick"),

    "void-without-key": (_ref('''        yield ctx.tool("void_label", effect="void_label", payload={"label": label},
                       idempotency_key=ctx.key("void"))''', '''        yield ctx.tool("void_label", effect="void_label", payload={"label": label})'''),
                         {"b_compensation_keyed"}, "thinks an undo needs no key"),

    "returns-none": (_REF.replace('return "refunded"', "return None").replace('return "refund-declined"', "return")
                     .replace('return "rejected"', "return"), {"b_result"}, "forgets the result values"),

    "skips-validate": (_ref('''    yield ctx.tool("validate", payload={"order_id": order["order_id"]})
''', ""), {"b_steps"}, "checks the window in code and drops the validate step"),

    "skips-inventory": (_ref('''    yield ctx.tool("check_inventory", payload={"sku": order["sku"]})
''', ""), {"b_steps"}, "drops the inventory read"),

    "retries-declined-refund-catching-base-exception": ('''
def returns_workflow(ctx, order):
    yield ctx.tool("validate")
    if order["days_since_delivery"] > RETURN_WINDOW_DAYS:
        return "rejected"
    yield ctx.tool("check_inventory")
    yield ctx.tool("create_label", effect="create_label", idempotency_key=ctx.key("label"))
    n = 0
    while True:
        try:
            n += 1
            yield ctx.tool(f"issue_refund_{n}", effect="refund_card", idempotency_key=ctx.key("refund"))
            break
        except BaseException:
            continue
    yield ctx.tool("send_confirmation", effect="send_email", idempotency_key=ctx.key("email"))
    return "refunded"
''', {"b_finishes", "b_saga_voids_label"}, "retries everything forever, crashes included"),

    "raises-keyboard-interrupt-after-void": (_ref('''        return "refund-declined"''', '''        raise KeyboardInterrupt("refund declined")'''),
                                             {"b_finishes"}, "signals the decline with KeyboardInterrupt"),

    "raises-runtime-error-after-void": (_ref('''        return "refund-declined"''', '''        raise RuntimeError("refund declined")'''),
                                        {"b_finishes"}, "the same bug as a RuntimeError"),

    "raises-system-exit-after-void": (_ref('''        return "refund-declined"''', '''        raise SystemExit("refund declined")'''),
                                      {"b_finishes"}, "the same bug as sys.exit"),

    "second-void": (_ref('''        return "refund-declined"''', '''        yield ctx.tool("void_label_again", effect="void_label", idempotency_key=ctx.key("void-2"))
        return "refund-declined"'''), {"b_compensation_keyed"}, "voids twice to be sure"),

    "confirmation-after-declined-refund": (_ref('''        return "refund-declined"''', '''        yield ctx.tool("send_confirmation", effect="send_email", idempotency_key=ctx.key("email"))
        return "refund-declined"'''), {"b_confirm_after_refund"}, "emails the customer on a decline too"),

    "declined-run-never-ends": (_ref('''        yield ctx.tool("void_label", effect="void_label", payload={"label": label},
                       idempotency_key=ctx.key("void"))
        return "refund-declined"''', '''        n = 0
        while True:                       # wait for a human who never comes, then void
            n += 1
            yield ctx.sleep(f"wait_for_support_{n}", 3600)'''),
                                {"b_finishes", "b_saga_voids_label"}, "waits for a human before compensating"),

    "off-by-one-window-strict": (_ref('if order["days_since_delivery"] > RETURN_WINDOW_DAYS:',
                                      'if order["days_since_delivery"] >= RETURN_WINDOW_DAYS:'),
                                 {"b_refund_only_if_valid", "b_result"}, "rejects the last day of the window"),

    "off-by-one-window-lenient": (_ref('if order["days_since_delivery"] > RETURN_WINDOW_DAYS:',
                                       'if order["days_since_delivery"] > RETURN_WINDOW_DAYS + 1:'),
                                  {"b_refund_only_if_valid", "b_result"}, "accepts one day too many"),

    "label-after-refund": ('''
def returns_workflow(ctx, order):
    yield ctx.tool("validate")
    if order["days_since_delivery"] > RETURN_WINDOW_DAYS:
        return "rejected"
    yield ctx.tool("check_inventory")
    try:
        yield ctx.tool("issue_refund", effect="refund_card", idempotency_key=ctx.key("refund"))
    except ActivityError:
        return "refund-declined"
    yield ctx.tool("create_label", effect="create_label", idempotency_key=ctx.key("label"))
    yield ctx.tool("send_confirmation", effect="send_email", idempotency_key=ctx.key("email"))
    return "refunded"
''', {"b_steps"}, "refunds first so that a decline needs no undo"),

    "no-keys-at-all": (_REF.replace(', idempotency_key=ctx.key("label")', "")
                       .replace(',\n                                idempotency_key=ctx.key("refund")', "")
                       .replace(',\n                       idempotency_key=ctx.key("void")', "")
                       .replace(',\n                   idempotency_key=ctx.key("email")', ""),
                       {"b_one_refund", "b_one_email", "b_one_label", "b_compensation_keyed"},
                       "trusts the engine's exactly-once"),

    "key-only-on-refund": (_REF.replace(', idempotency_key=ctx.key("label")', "")
                           .replace(',\n                   idempotency_key=ctx.key("email")', ""),
                           {"b_one_email", "b_one_label"}, "keys only the money"),

    "key-from-the-clock": (_REF.replace('ctx.key("refund")', 'f"refund-{ctx.now()}"'),
                           {"b_one_refund", "b_keys_per_return"},
                           "makes a 'unique' key from the time"),

    "one-key-for-every-step": (_REF.replace('ctx.key("label")', 'order["order_id"]')
                               .replace('ctx.key("refund")', 'order["order_id"]')
                               .replace('ctx.key("email")', 'order["order_id"]')
                               .replace('ctx.key("void")', 'order["order_id"]'),
                               {GATE}, "uses the order id as the key of every step"),

    "constant-keys": (_REF.replace('ctx.key("label")', '"label"').replace('ctx.key("refund")', '"refund"')
                      .replace('ctx.key("email")', '"email"').replace('ctx.key("void")', '"void"'),
                      {"b_keys_per_return"}, "writes a fixed key per step, the same for every customer"),

    "void-reuses-the-label-key": (_ref('idempotency_key=ctx.key("void")', 'idempotency_key=ctx.key("label")'),
                                  {"b_saga_voids_label"}, "keys the void like the label it undoes"),

    "re-raises-the-decline": (_ref('''        return "refund-declined"''', '''        raise'''), {"b_result"},
                              "compensates, then re-raises"),

    "no-compensation": (_ref('''    except ActivityError:
        yield ctx.tool("void_label", effect="void_label", payload={"label": label},
                       idempotency_key=ctx.key("void"))
        return "refund-declined"''', '''    finally:
        pass'''), {"b_saga_voids_label", "b_result"}, "lets the decline fail the workflow"),

    "voids-in-finally": ('''
def returns_workflow(ctx, order):
    yield ctx.tool("validate")
    if order["days_since_delivery"] > RETURN_WINDOW_DAYS:
        return "rejected"
    yield ctx.tool("check_inventory")
    yield ctx.tool("create_label", effect="create_label", idempotency_key=ctx.key("label"))
    result = "refund-declined"
    try:
        yield ctx.tool("issue_refund", effect="refund_card", idempotency_key=ctx.key("refund"))
        yield ctx.tool("send_confirmation", effect="send_email", idempotency_key=ctx.key("email"))
        result = "refunded"
    except ActivityError:
        pass
    finally:
        yield ctx.tool("void_label", effect="void_label", idempotency_key=ctx.key("void"))
    return result
''', {GATE}, "puts the undo in a finally block"),

    "swallows-the-decline-and-confirms": ('''
def returns_workflow(ctx, order):
    yield ctx.tool("validate")
    if order["days_since_delivery"] > RETURN_WINDOW_DAYS:
        return "rejected"
    yield ctx.tool("check_inventory")
    yield ctx.tool("create_label", effect="create_label", idempotency_key=ctx.key("label"))
    try:
        yield ctx.tool("issue_refund", effect="refund_card", idempotency_key=ctx.key("refund"))
    except Exception:
        pass
    yield ctx.tool("send_confirmation", effect="send_email", idempotency_key=ctx.key("email"))
    return "refunded"
''', {"b_confirm_after_refund", "b_saga_voids_label", "b_result"}, "ignores the decline"),

    "emails-the-rejection": (_ref('''        return "rejected"''', '''        yield ctx.tool("send_rejection", effect="send_email", idempotency_key=ctx.key("reject"))
        return "rejected"'''), {"b_refund_only_if_valid"}, "tells the customer about a late return"),

    "label-before-deciding": ('''
def returns_workflow(ctx, order):
    yield ctx.tool("validate")
    yield ctx.tool("check_inventory")
    label = yield ctx.tool("create_label", effect="create_label", idempotency_key=ctx.key("label"))
    if order["days_since_delivery"] > RETURN_WINDOW_DAYS:
        yield ctx.tool("void_label", effect="void_label", idempotency_key=ctx.key("void"))
        return "rejected"
    try:
        yield ctx.tool("issue_refund", effect="refund_card", idempotency_key=ctx.key("refund"))
    except ActivityError:
        yield ctx.tool("void_label", effect="void_label", idempotency_key=ctx.key("void"))
        return "refund-declined"
    yield ctx.tool("send_confirmation", effect="send_email", idempotency_key=ctx.key("email"))
    return "refunded"
''', {"b_refund_only_if_valid", "b_saga_voids_label"}, "labels every return, then decides"),

    "clock-dependent-branch": (_ref('''    yield ctx.tool("check_inventory", payload={"sku": order["sku"]})''',
                                    '''    if ctx.now() < 2:
        yield ctx.tool("check_inventory", payload={"sku": order["sku"]})'''),
                               {"b_finishes", "b_steps", "b_saga_voids_label"},
                               "skips the inventory check when it is late"),

    "wrong-keyword-key": (_REF.replace("idempotency_key=", "key="), {GATE}, "guesses key= for the idempotency key"),

    "refunded-result-after-void": (_ref('''        return "refund-declined"''', '''        return "refunded"'''), {"b_result"},
                                   "returns the happy result on every path"),
}

CORRECT = {
    "reference-style": (_REF, "the solution's shape"),

    "table-driven-helper": ('''
def _step(ctx, order, name, effect=None):
    return ctx.tool(name, effect=effect, payload={"order": order["order_id"]},
                    idempotency_key=f"{order['order_id']}/{name}" if effect else None)

def returns_workflow(ctx, order):
    yield _step(ctx, order, "validate")
    if not order["days_since_delivery"] <= RETURN_WINDOW_DAYS:
        return "rejected"
    yield _step(ctx, order, "check_inventory")
    yield _step(ctx, order, "create_label", "create_label")
    try:
        yield _step(ctx, order, "issue_refund", "refund_card")
    except ActivityError as declined:
        yield _step(ctx, order, "void_label", "void_label")
        return "refund-declined"
    yield _step(ctx, order, "send_confirmation", "send_email")
    return "Refunded"
''', "a helper that builds keys from the order id"),

    "compensation-stack": ('''
def returns_workflow(ctx, order):
    undo = []
    valid = yield ctx.tool("validate_return", payload=dict(order))
    if order["days_since_delivery"] - RETURN_WINDOW_DAYS > 0:
        return "rejected"
    yield ctx.tool("inventory_check", payload={"sku": order["sku"]})
    label = yield ctx.tool("label", effect="create_label", idempotency_key=ctx.key("create-label"))
    undo.append(("void", "void_label", {"label": label}))
    try:
        yield ctx.tool("refund", effect="refund_card", idempotency_key=ctx.key("refund-card"))
    except ActivityError:
        for name, effect, payload in reversed(undo):
            yield ctx.tool(name, effect=effect, payload=payload, idempotency_key=ctx.key(name))
        return "refund-declined"
    yield ctx.tool("email", effect="send_email", idempotency_key=ctx.key("send-email"))
    return "refunded"
''', "a saga as a stack of undo steps"),

    "class-based-agent": ('''
class ReturnsAgent:
    """Settings only: the agent keeps no state of its own between runs."""

    def __init__(self, window):
        self.window = window

    def run(self, ctx, order):
        yield ctx.tool("validate")
        if order["days_since_delivery"] > self.window:
            return "rejected"
        yield ctx.tool("check_inventory")
        yield from self.ship_and_refund(ctx, order)
        return (yield from self.finish(ctx))

    def ship_and_refund(self, ctx, order):
        yield ctx.tool("create_label", effect="create_label", idempotency_key=ctx.key("label"))
        try:
            yield ctx.tool("issue_refund", effect="refund_card", idempotency_key=ctx.key("refund"))
            self_ok = True
        except ActivityError:
            self_ok = False
        ctx_result = yield from self.after_refund(ctx, self_ok)
        return ctx_result

    def after_refund(self, ctx, ok):
        if not ok:
            yield ctx.tool("void_label", effect="void_label", idempotency_key=ctx.key("void"))
            raise StopDeclined()
        return True

    def finish(self, ctx):
        yield ctx.tool("send_confirmation", effect="send_email", idempotency_key=ctx.key("email"))
        return "refunded"


class StopDeclined(Exception):
    pass


_agent = ReturnsAgent(RETURN_WINDOW_DAYS)

def returns_workflow(ctx, order):
    try:
        return (yield from _agent.run(ctx, order))
    except StopDeclined:
        return "refund-declined"
''', "a class with helper generators"),
}
