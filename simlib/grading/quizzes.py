"""Per-notebook questions: three quick multiple-choice checks at the end of each course notebook.

They feed the same `check(...)` as the self-check: ``check("n02_q1", n02_q1)``
returns a `Feedback` with a score, what is off and a hint. As in
`simlib.grading.key`, the right option is stored only as a salted digest
(`simlib.grading.digest`), and so is each wrong option's feedback key, so reading
this file does not give the answers away (trying every letter does: these are
practice questions, not graded ones).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import ConfigError
from .assignments import ASSIGNMENTS, Assignment
from .digest import digest
from .feedback import CORRECT, MISSING, WRONG, Feedback
from .normalize import AnswerError
from .questions import Question

__all__ = ["QuizChoice", "QUIZZES", "quiz_for", "find_question"]


@dataclass(frozen=True)
class QuizChoice(Question):
    """One multiple-choice question, graded against the digest of its right letter.

    Attributes:
        options: the letters a learner may answer with.
        right: digest of the right letter.
        why: (digest of a wrong letter, what that answer misses) pairs.
    """

    options: tuple[str, ...] = ("a", "b", "c", "d")
    right: str = ""
    why: tuple[tuple[str, str], ...] = ()

    def _grade(self, value, answers) -> Feedback:
        if value is None:
            return self._fb(0.0, MISSING, "not answered yet: put one letter in quotes and run the cell again")
        if not isinstance(value, str):
            raise AnswerError(f"answer with one letter in quotes ({', '.join(self.options)}), got {value!r}")
        letter = value.strip().strip("().").lower()
        if letter not in self.options:
            raise AnswerError(f"{value!r} is not an option; allowed: {', '.join(self.options)}")
        d = digest(self.id, letter)
        if d == self.right:
            return self._fb(self.points, CORRECT, "right")
        return self._fb(0.0, WRONG, f"not {letter}", dict(self.why).get(d, self.hint))


def _q(qid: str, right: str, why: tuple[tuple[str, str], ...], hint: str) -> QuizChoice:
    return QuizChoice(qid, 1.0, hint, right=right, why=why)


_N00 = (
    _q(
        "n00_q1",
        "afbfe34bf51eba155307bd1bc2b1dd5726f855dd43ecbb92216f2f283201be4f",
        (
            (
                "281c5898b347b55aab1b8b36e09234832d91ba10b28f69578c50ae2abde927d7",
                "every run owns one generator made from its seed: nothing global",
            ),
            (
                "e64d8ed80123b7e392343915f5b3925b3bc280bc4cf3dc21aca4730d842d5660",
                "the history holds simulated time only",
            ),
            (
                "a4fd804543a35d7cb22d215df5c1cad4df8ab94dc06e7bea8a57f9d9f824dd3c",
                "a collision is astronomically unlikely; look for a difference in code or inputs",
            ),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n00_q2",
        "d19a15ba39da9231f7bf7dcd28b72b80318ebca8cc1462f723f6691ac27a1561",
        (
            (
                "7c8fbaba718df207d4dc70f783ba88e50aec9f274880b572de8dc7a4dc7fe65c",
                "an answer above the question would spoil it",
            ),
            ("92431a77a00fb4f086750e2b1b908b332d56c2322d77a244eb72bf020ed6bb16", "they are in the same notebook"),
            ("6366906e6d912726a4325b1e597edaa73bd30ceb1af9b7efbcc26756d1df2edb", "the simulator computes them"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n00_q3",
        "17fc7c77c4fe514c12bcae0ffa68c72515f53b3cdb3b4a2ab8fb0f837afe5b39",
        (
            (
                "6bf5c2268d82d80bdd0f09e8544cc87fba3a8547f8a9388b9649eb54215465ae",
                "it marks a result, not an optional cell",
            ),
            ("cc0159dba267935c8561f803c9b4dfc5be76e954e82b1f0914444b2ebd47d449", "figures are not compared"),
            ("76932b6ee5bd1451891f9f6737b3a8666fb76d779ee7eaa891db520a9a33bd43", "grading uses `check(...)`"),
        ),
        "read the notebook's section on this again",
    ),
)

_N01 = (
    _q(
        "n01_q1",
        "bb1c58a2b327baf3b5edbdacf7421e49af2b833a02c9b79771d5be591256f56a",
        (
            (
                "44ca27e2b593b7ff55fe9b478517c735ae3e37354a635fbab12bed3e8430946f",
                "workers hold no state; any worker can replay the history",
            ),
            (
                "27389aaa45968a64af1d949253b32c48b72b9b9ee63cc40dc3c38f9f24a49203",
                "the provider holds no record of the workflow",
            ),
            ("7d8454bf0c6ee28d84e9687eb15597efb7c2392fd61f197704842e6850415de1", "that is the no-durability case"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n01_q2",
        "c83650b3fbfe93091621b801e3c00dabaa08e6ab768829085dc6fd44fbb65371",
        (
            (
                "8b3e597c311930f1a0d2347ec54be63ac11e890c947db9a92dfd000b8a64c422",
                "nothing in LangGraph watches for a dead process",
            ),
            (
                "71958b410763eeaa6dabd572317b17a150ea5bebedec60c4682aa1569bec6c19",
                "the checkpoints are safe in the database",
            ),
            (
                "1725ba26a53eb3cc127c4fd823c681dd67fac6dfabd1c7b1d88e99abd5d85fd0",
                "a checkpointer stores state; it does not run code",
            ),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n01_q3",
        "5e4ff3caa6b2d2167f0114934daa7ac00a7ebb3cb4aa32323774aee56ddb8c83",
        (
            ("4f92d13d177f82cc96abb5bad791ed84eb71485cb2cf93f397d13509603246e0", "replay is fast on both"),
            ("e8918e56e3b758559c18b739bb4a933426e5795310c875fb4745895585356837", "the failed step runs again on both"),
            (
                "d758c5b54dba7d94403cdf8c5e7bf4a90c41e704cd51cde4d3ab8590ac0a53ac",
                "activities retry without limit by default",
            ),
        ),
        "read the notebook's section on this again",
    ),
)

_N02 = (
    _q(
        "n02_q1",
        "ae3a725789188a001724bb6877495ed1776b9d9d4a7b7a8852418936f992acc1",
        (
            ("c180c72ce86ae05f9b781b849fadf0b65b1ebb52294b8e1ec05fc96599f741b9", "that is the durable engines' answer"),
            (
                "ed297cc1882984901847f00c88607ab1e145fdaf08e19113ca6bce348dea1afe",
                "count call 15 too: it was billed before the crash",
            ),
            (
                "8d468b64388402039798fc0978bb71c40817f8c324025fbce3640b57b32ddb3f",
                "steps 16-20 never ran before the crash",
            ),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n02_q2",
        "b28529b5b173cea0dfb28f259878c3147b26a26868dbcf8fc2ead8004cd03188",
        (
            (
                "004fd67384810ae1113df654de01503760ef3f5a9e6cfbdac12dbd43d1ebc6c8",
                "the server enforces the timeout on every attempt",
            ),
            (
                "f1bffe22b5480d5345454cd46bd9fb12af2920817e04dd7e8c93a2aea7ab4ed0",
                "a timed-out activity is retried by its retry policy",
            ),
            (
                "3c6e1735fe5aa6e04ac06369e7f0ca02081c0876517046b8ce99644139a828e5",
                "the timeout is yours to set; the server applies it as given",
            ),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n02_q3",
        "b8418ce7b8c3e24242920e01109c00bb9e6b833defc2e955ba6f3783e3e1d688",
        (
            (
                "d0545f2f5e3c1c421d0d915e6f6bc0137c35024ddb12ff7694c8e4f0de7d5836",
                "a gap far inside the noise is not a finding",
            ),
            (
                "64183d4bc17862927506c9a98817b092f02d3a76015e6289fb3cdc254bac93f0",
                "a gap far inside the noise is not a finding",
            ),
            ("d6f15f7c69fbefe8d924ca45c5c7d58303763d89796016096c792aa1314c8f8b", "both intervals lie above zero"),
        ),
        "read the notebook's section on this again",
    ),
)

_N03 = (
    _q(
        "n03_q1",
        "85b5ac1303eeca1e713e3cbd2d1dc5719010b8f0419ca85e0f12df3bf029c325",
        (
            (
                "89278bdeb4cf6bb5298cad667ba1bc571dd69cd6cc347d0f248f0036392465e2",
                "a crash between the effect and its record makes the activity run again",
            ),
            ("5d6a787ac6804e5d350792beaac444e5ef3f0660d002d2580bba698c278e8a67", "the history holds one completion"),
            (
                "a98da83fae4c8090d9c0ea3e70cb3cff543bff074419fddd5bf7a340571aa09f",
                "replay reads the history; it causes no effect",
            ),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n03_q2",
        "134a9d4c27e7da0edbb079e5f9911135c55cd53fa76e6960402e94f358eb50c2",
        (
            (
                "6be333d166d8168dc39984a7a6d937c8a8cea5032783a62bc5fe7097a8018984",
                "a fresh UUID differs on every attempt, so the repeat is not recognised",
            ),
            ("3dee022eb62843812ff94aaf8c4f233847b5a132988254237365be1413a61c5a", "a retry has a new timestamp"),
            (
                "78197ccb93647415f4499177f5cf37ea8674533200c41edc5774ecde4daf4e66",
                "two different orders can share an amount",
            ),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n03_q3",
        "a35ab88e3653d92b0c071c3e2832d8d32a4f56266a6e1b49cb598f65559aa67d",
        (
            (
                "a672e642345b59d9d8a4b6aa691c56381896215867de49ef6f53e95e0a5f6a26",
                "the window exists whatever the timeout",
            ),
            ("8c1677737ef7de2026ada9d49c0da9448826ddca765455a2b5740f266b0d4d6c", "retries are what repeats the effect"),
            (
                "3123af2fc4a4db6901ebfb0fb81c2aa6a2a4238b5d8d80300027ef91ec5d4878",
                "the history is written after the effect",
            ),
        ),
        "read the notebook's section on this again",
    ),
)

_N04A = (
    _q(
        "n04a_q1",
        "c853562e48c9601a66c930daf2791130aca51d48ce22f1ec0bd16a884ab5d9c9",
        (
            (
                "3301216986624b9ef4de5ecc4b7a34b9487a5e6d3e63db09458cbc058a44d644",
                "replay checks commands against the history",
            ),
            (
                "185174eec3739f92457a545a89a9549df4af3188846903dc501cc298f74e89a3",
                "by default the Python SDK fails the workflow task, not the workflow",
            ),
            (
                "8d88ec6910055a23b3ce79abcdec5e92736e7245c6848f8dfb7a90f0d3172ac5",
                "Temporal never restarts a workflow from scratch on its own",
            ),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n04a_q2",
        "2eb392cadc13a55650c58777893049057c4e6d81fa3aa24be7ed108b740e807a",
        (
            (
                "340dce68bf792644132520bb6340990f76d42378cc5117429df8fed16b802720",
                "each request runs the function body from the top",
            ),
            ("f1ba70cb91d9e627b27cadda744805e8fe2c74271f3c02523ccd0371ea02a35c", "count the final request too"),
            (
                "91c76579c9cd1c26e0537ab0e96e955d6364800992c2b643bdd09e7d16bda1b9",
                "the body is what finds the next step",
            ),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n04a_q3",
        "c60fb07b1d9243fc3446892b3f0975ce693de16d57723aab5439afd8b8b72d07",
        (
            ("24f8b9da2ad7f7665e55375e1ab3371a09a7a963d19333b4062114b8ccfed19d", "that is sync mode"),
            ("ce6d2c223edd3c53b00d81b51ded28f016f81403aa834c5585a3cbe5f5e2306b", "no built-in wait exists"),
            ("193dd101c8bdcd3308146d5b169799b93a28a38017a848839e7866023b66043f", "the failed writes are lost"),
        ),
        "read the notebook's section on this again",
    ),
)

_N04B = (
    _q(
        "n04b_q1",
        "f402c736a488ff109d0bcd140d55b1f775d57a44b5c7cd3fd3475c0bcf5c6b3c",
        (
            (
                "90fb2ae1ac602f56eba7eb75bd549fb897a2c8122cd1877c21da2ccc8f61f332",
                "the section says sidecar; Restate's docs describe a central server",
            ),
            ("9be556c662bc671d8e00f3abf569cc1fdd2236e548439127a2c1b8ee64915707", "the journal lives in the server"),
            ("adff3f9b60befac1689cff30dc82644d823443d81bdddf783199f484f3fe1268", "it runs anywhere a binary runs"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n04b_q2",
        "f6c014d8c4fe39f400703684c0238e3025e841184fb1547ad2fea61750463d18",
        (
            (
                "054c3ff80534bc1661c6b2f71d38bb08b0f0727c4fab2140e52971a06f8c83cd",
                "one workflow per key is the idiomatic Temporal pattern",
            ),
            ("81be5c324c1d48ea4c5b0278c433eecc04aabdf50d37c9c6ff1bdf358fe7c730", "both can"),
            ("7698d1b4753481370aa0ffdcd500bb02cd76a4aced6d50ff3130a929b0f0c471", "no row locks are involved"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n04b_q3",
        "6e5f9351188043ad51c1576115a77e2486858a41712994d99bcc20f6eaedaf16",
        (
            (
                "5d2d284bd81d1eb672063e7403252e629d29ad150e3413b1edcd62a8a8092b54",
                "the whole task runs again from its first line",
            ),
            ("014aa32c5ab5ef653a947f4ce096436f9d0dae4cd6f1b1786e2597afb863e2b4", "that is a task per call"),
            ("b8982f7d6b2df8b2d17f0c96711cef83aa903bd19f4e4af91d23b6bba12d0297", "calls 4 and 5 had not run"),
        ),
        "read the notebook's section on this again",
    ),
)

_N05 = (
    _q(
        "n05_q1",
        "953de924cbcebde79c3face9d6a0118e79ca4f5aec1745ff89d6a4c93a7e4f7a",
        (
            (
                "0779cc11e7e9ae9cf3f23d2585c5e71437e87cea8aa3fc1e25b9dc5abdcea27e",
                "overlapping intervals support no ranking",
            ),
            (
                "d2e3a4c3b90a2bbf956980f44a5f41514ff23df4e07b6c107ebbfb7eb109329d",
                "overlapping intervals support no ranking",
            ),
            ("23443d77206f17b59029a8ba2dd0eeaecfd594c569d45e270ba8b083ff0e075d", "duplicates are not zero"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n05_q2",
        "b028d8d970c779a04d8b79719c2312bc598cc64fc82ff4e5fd0d26aa2fa80684",
        (
            (
                "939006f7db9b015f1c6f2fcfba373387c1950cd20396f35b1669884dd339d9f6",
                "a nightly DAG or a low-stakes summariser needs less",
            ),
            ("27415fcf466ce715e9221e39f0513373f937ac4eccd4099c90abea8c0fdf82df", "popularity is not failure behaviour"),
            ("606168f7ce684455378eefac4beb3b9c2654b2d806c9b7d54be2e724d4c8e793", "cost of failure, not price, leads"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n05_q3",
        "b17d49d5e87553eb9f85fdfb361e450ef3e2703204deb89e3d651c37f0a40904",
        (
            ("cd44dd27aa0fe0469f768584a33a4c3d6f3b556541ea12f632603f037a5b2c1a", "every rule is printed"),
            ("8dddae9f3e21caf3ac5495feec0bfe8ef8c886ee62a1afe8823a364842d6055b", "the recommender is deterministic"),
            ("5b39cb3850e853b20d0a4fa989334e4b9bb21b48dce69860cde5cb71fc11dfd7", "no popularity signal is used"),
        ),
        "read the notebook's section on this again",
    ),
)

_N06 = (
    _q(
        "n06_q1",
        "32cf934c988e16cf0cd97537bb0a6bc13a15cdd58bb36d71b507c6a74bf97b53",
        (
            (
                "76f132ad68c7ebb05ea5b1b7c710d47532510b19d437509d4f0b4c0ee5c61907",
                "Step Functions and LangGraph declare cycles",
            ),
            ("90905ae71d69dd683cec964b4df6b90731e270aa8712012fc23d44b8ecf4c682", "many engines run loops"),
            ("aeaec440633a8ff43740e5980d2778b42b759be29217f6742078eb045c6b1eca", "a cyclic graph is declared once"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n06_q2",
        "50d10bbf777b0b65386fc52e4b1294c6e4c5e6f67883d56d8a240114950d9b95",
        (
            (
                "f02747b6f1c6ac6645ac3a8d60dfbace6b6aa10178d371246b497d2dd178c889",
                "that was Prefect 1; since Prefect 2 flows are ordinary Python",
            ),
            ("764e57ccc9ec7f4405cbf6fec14814883a1736f65cdd94eb75db781dadc94f4e", "it is a workflow orchestrator"),
            ("253ad0173b9dc59703f07a4ed73bfacd946c151dcd9fa279e2b0618a3654ec9f", "it is a workflow orchestrator"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n06_q3",
        "ac017046a84a70b7e0ea259d522e2205cec0b1898495a08377d044120bbf336a",
        (
            ("9fb4b9f6d5d5f17513e3ad711c7765a8ce38923bb622487eebe844155c1eeba4", "the default is zero retries"),
            ("812e40797f5beb53a48af362331e937ac54ec0e7d86e3faa4e94e54f00e8e3e8", "re-parsing does not rerun a task"),
            ("6837b9d8ad34e1270faaa940e453b121d4171233557f03bfc7e836b74de65eaf", "a retry runs the whole task again"),
        ),
        "read the notebook's section on this again",
    ),
)

_N07 = (
    _q(
        "n07_q1",
        "289f6890b112d791cb6b4b855140aaa8ef9793ce696adb3acfa411d1e9f310ff",
        (
            (
                "91556b7abae72663ca2f2796046a6b1d49d98e52a3da10635c25ca5e3c6d2a5c",
                "threads belong to the older Assistants API",
            ),
            ("0d29880452e4fa2748035ee2959273d7f4e2e57faa886a693b7589bb5b54fb8e", "only with the Temporal integration"),
            ("20972a6eb04243aa5f33bf982f1f31701a50416b46164f0c473cd8f2495669ee", "sessions hold it"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n07_q2",
        "0a730e0273ba38bb6fd677850ddbb3b649c9a255bdedf7695bbe3b5bdcff6d52",
        (
            ("badcde230f606a0ac1ec45585e691c12a59ed306b924ab5cc3453efb7d205e57", "it was never saved"),
            (
                "78d93c0edf8202d8f66af01de7a4e2589cc8544ea941acc9bc427e140f34c05a",
                "nothing reattaches to a run in progress",
            ),
            ("8a495a40766f3c944056b44e2117e36bb2c8b0877add37923ece922f9ee16efa", "nothing marks it"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n07_q3",
        "9b8080074544b0988641bda7a1d9e8365139f458c5256077bc35c1acc5ba5744",
        (
            ("3dbf55cbe1b3773cc311b175380e4ff430df80df700137c3944cb43695f49d34", "activities execute at least once"),
            (
                "79684e3d31bcc249daeb36e9f92e19325d71965891ebdc9932a62dce5ab185f8",
                "model answers are recorded in the history",
            ),
            ("80b627583c75ce68c0f87d882f93bdc839db3ee333d4071f78980025332efefe", "the id is the key's ingredient"),
        ),
        "read the notebook's section on this again",
    ),
)

_N08 = (
    _q(
        "n08_q1",
        "aeb26282c07f7fa921563bcc2c89f242076fe83cd809a3cb91488c7f938d81de",
        (
            (
                "05193e94a2105293bea516b4666d62ae4ebba70f344d0c1ffb79cd3527097b9d",
                "no tool converts one engine's state format to another's",
            ),
            ("879d4eae8535b06b3d49f9bc54b7b9edd87093af890202ef1093696a2f5f0b0d", "histories are engine-specific"),
            ("f20ebcf2a4c0e7176cb0ce908e77b8135b8f8db2c000eca0ebc99f6e6f24892a", "histories are engine-specific"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n08_q2",
        "443d3d4e2dfc7bf35b907a8531b59ec64b69787e219f5c86574311fbcd24141d",
        (
            ("fdb87851a3597d828d5b2f74a2d14acd2245afe5076e613f9317b6150b3c4b92", "the id prevents duplicate runs"),
            ("d69c5f26508301d4bf90cd2afa0552be0b335ac67b38405c44e5c414030bc289", "order is not the point here"),
            ("df713e707d74cb71de79cf04ac784184962b967d532b48d8dc7fe24646fe8a6f", "it is about duplicates"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n08_q3",
        "738e522c0ffcc574316bfadeac679fb57fe2a540004a9bebf475bc731d719e85",
        (
            (
                "ed7f385d7bd24ec00c3277ac13d0f9a66b0073a981594262682696c6a9b70b8b",
                "that came from crashes placed at step boundaries",
            ),
            ("3e1594814b0d3f19a6906a25ba4ea243a73662348f44b0ecf0fa63004b35794d", "check the intervals"),
            (
                "d92b6c0a756ae7cb2596d7a281a694190b1dc5493fe6545873150297f72133e5",
                "a crash in the window still repeats one effect",
            ),
        ),
        "read the notebook's section on this again",
    ),
)

_N09 = (
    _q(
        "n09_q1",
        "75cc1b8d9714cff2648c2c009d5e454fd4e8036907b9baec00f776c4a7289bf4",
        (
            (
                "1abace0a78b715a796deb0c590322e77ff97615a1a6989fe51102b3c4e939111",
                "it relies on the step eventually reporting success",
            ),
            ("32caae76af64f38bb03f8f5b102debf81fd8a4c3943c9003f770324e6863211d", "a read has nothing to undo"),
            ("10ff04280d421c2db53ff566e4c292cc26b8975c240b17e7daa5cdf6a178df21", "the number of steps does not matter"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n09_q2",
        "676f40ec092c93d19b6a26aa70bd9584d6f2307079ec0b0494b9b07bc4f5cbd2",
        (
            ("c98c999e9b1265cb687d38e70e6288fe0171366c516fc9cf60bd2dae822b6f88", "undo in reverse"),
            ("fc0ddce3fd187e41eed5ff43a5f94fb31dccaf9ba9dd1af4005004b0506e839d", "the order matters"),
            ("3fe8ddd84446c6fe163945214ae618ac9e0573dcb1a31a2d529e49ffbbe7e05a", "the order matters"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n09_q3",
        "a3e6bf209a2011e20f8c74de5fbefd4cd7a5a90785b82804a8ad4f0c20dc6976",
        (
            ("4cd73e8cc209e3e55e1a95df3201553b50eaff89716b37e28805ab34adc7b62c", "a declined card declines again"),
            ("9c5265aa78463325a375332c89904b954b36e9d2d071e9069e1ba37c99b7bc2a", "a decline is a business result"),
            ("3c0689f5cb204fd1fcb5edeefd412db671106b02ebc1edce71091b17113ca4be", "the bookings must be undone"),
        ),
        "read the notebook's section on this again",
    ),
)

_N10 = (
    _q(
        "n10_q1",
        "838540b3eae7a17d2d0e14cea96bfc8829d4f68f30c4d98b9d5e5e3e4b91e93f",
        (
            ("33f3b05b29e2f2a507182da2c680e4245538a9e5a242f703865160874fabed46", "replay restores; it does not repair"),
            ("1b1f2b279c1689f777248b39435ff1332b747895d962d2f28ed3b994cfee8b75", "recorded results are not recomputed"),
            ("fd3ba2459f7b3bc703ebc42fc72de99302fe8b3957a7c58d3e4d2ce83bbbdc83", "histories are append-only"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n10_q2",
        "51d514c337cd2a2a8fc1ef8242ff044ec8666772b0fe12f5034f9976fe126f90",
        (
            ("44a61ec47b8673dac32bd517639d4fd58ee1197551bfae1c9d49ae3db60785e4", "raise the cap and it still stops"),
            ("6258da4e07c84017adee2576e1e2cb5112d8500385ffa5b3b11aa44348b111fa", "no refusal is modelled"),
            ("179c30a0a768870de9cfd09e61005a3801cacd944790082ff5674d43afcc2213", "the rule is deterministic"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n10_q3",
        "c15ae1d5635c437860b66a7bed61a1cb3afc702c39fa0eb387015a5cdb097000",
        (
            (
                "63411e58800d8549fca019a733a49cd9cb87d1289c75a1cab56e240ea7960614",
                "a few points at n=300 is within noise",
            ),
            (
                "1432ef877adde73278beb39a6f31f404d1dd62c5196e661471fd3effccc76069",
                "a few points at n=300 is within noise",
            ),
            ("727f68660701545548ca83ffe6f5312fe3580d44caed7b15ce6d92bd581ed1bf", "nothing about reflection follows"),
        ),
        "read the notebook's section on this again",
    ),
)

_N11 = (
    _q(
        "n11_q1",
        "f9b01d09e5dee9f3209c1082cc00cb1015194afd90937ebde0dcd15c0430ee84",
        (
            (
                "57e300c6d765e8588ee43872999f59000eb6193914b9baf1650ebbdead385182",
                "look at the attempt column of the event history",
            ),
            (
                "444ceafa09e809eab85f8fb1d9a59a2dbae31908253c5361ac0e4b024efd75f0",
                "checkpoints hold finished nodes only",
            ),
            ("44e666f6cafc4202d4ef4d55572d34db0c26f1943d85dbbea504ac53603915cc", "sessions save finished turns only"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n11_q2",
        "604a64ee32c5262861171e66546a19212692994526b22d9e5e9f37390e3c3e06",
        (
            ("e4c29fec12c36c33cc2b2801c4901c7e91d46fb9ddc9af2e9c814216ad2f5cd6", "every record lists finished steps"),
            ("f81a7e0ba4e091ee65caa016ddb9f18e5304ad188023ac703f280093112081bf", "every record ends with completion"),
            ("c61b0247f4f2831797c0a5ed9ef19a13cce8bd5bd40a50d16e95402bd67422dc", "outputs are stored"),
        ),
        "read the notebook's section on this again",
    ),
    _q(
        "n11_q3",
        "0c5b56b3288f0a664a48211ac7e66afc65aac10b331d72235e99e7b8933b1983",
        (
            ("af8e0e9af5ece2f9e1b4287eecd07533dd4173287f6f2d9b7fdd743080bcc5a2", "looks do not answer the question"),
            ("33c7198dd17140e161d1a696b3f177ff97be4630f2382533ba4886b5853e5905", "volume is not insight"),
            ("d3ff412d590ef3792d44610f82fd14617f641e4e36feb54ade888f1064f9be06", "dashboards are not the record"),
        ),
        "read the notebook's section on this again",
    ),
)

QUIZZES: tuple[Assignment, ...] = (
    Assignment("quiz-00", "Notebook 00: check yourself", _N00),
    Assignment("quiz-01", "Notebook 01: check yourself", _N01),
    Assignment("quiz-02", "Notebook 02: check yourself", _N02),
    Assignment("quiz-03", "Notebook 03: check yourself", _N03),
    Assignment("quiz-04a", "Notebook 04a: check yourself", _N04A),
    Assignment("quiz-04b", "Notebook 04b: check yourself", _N04B),
    Assignment("quiz-05", "Notebook 05: check yourself", _N05),
    Assignment("quiz-06", "Notebook 06: check yourself", _N06),
    Assignment("quiz-07", "Notebook 07: check yourself", _N07),
    Assignment("quiz-08", "Notebook 08: check yourself", _N08),
    Assignment("quiz-09", "Notebook 09: check yourself", _N09),
    Assignment("quiz-10", "Notebook 10: check yourself", _N10),
    Assignment("quiz-11", "Notebook 11: check yourself", _N11),
)


def quiz_for(notebook: str) -> Assignment:
    """The questions of one notebook (``"02"``, ``"04a"``), or a ConfigError naming the allowed ones."""

    for a in QUIZZES:
        if a.id == f"quiz-{notebook}":
            return a
    raise ConfigError(
        f"no questions for notebook {notebook!r}; allowed: {', '.join(a.id.removeprefix('quiz-') for a in QUIZZES)}"
    )


def find_question(question_id: str) -> tuple[Assignment, Question]:
    """The assignment (graded, or a notebook's quiz) and question that own ``question_id``."""
    for a in (*ASSIGNMENTS.values(), *QUIZZES):
        for q in a.questions:
            if q.id == question_id:
                return a, q
    allowed = ", ".join(q.id for a in (*ASSIGNMENTS.values(), *QUIZZES) for q in a.questions)
    raise ConfigError(f"unknown question {question_id!r}; allowed: {allowed}")
