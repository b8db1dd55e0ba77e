"""Salted digests of the reference answers, generated from solutions/ by
``python -m simlib exercises``: do not edit by hand (see `simlib.grading.digest`)."""

KEY = {
    "a_compensation_steps": {
        "exact": "61cea2275f9e1d5f76efa881a389b9cee9364ce7b90dff91ac1d92ab781181ba",
        "kind": "set",
        "members": [
            "06b7a0ad30cd2dcb61181de35340a9d15d7bddcd8f249f665f2e1ff34cc62329",
            "3de351fed62ff57f9c2423c9a523f39f19a5af4926e563d999f062bf6b73f5c7"
        ]
    },
    "a_engine": {
        "credits": {
            "043575fe33c24fe12eed2c0391fc7633005009c6b5117d19d2dfd9e66b1250e8": [
                0.6,
                0.6
            ],
            "29b785f8dc7ca325ac09feeaa050f45e971b6466baa7ee6d01c71f1c982a0074": [
                0.2,
                0.2
            ],
            "9d66c66fc7e9af29ab2b62a4bc3d0a11144557cc6e6404a570d46943dd62232f": [
                1.0,
                1.0
            ],
            "af347bab1e9c08738657c0d0ddd04fdd2e15ae186528cabb03f26bb46cc385d7": [
                0.2,
                0.2
            ],
            "cd950f1fcee2f2a6ff333d5cfc671457b83aa760add695ecf7ba20936416fbb5": [
                0.2,
                0.5
            ]
        },
        "kind": "choice"
    },
    "a_engine_property": {
        "credits": {
            "7ce79a98b448122f67141cd9f284eeee0d77ab9a32977f3218fe6efb3626d856": [
                1.0,
                1.0
            ]
        },
        "kind": "choice"
    },
    "a_idempotency_steps": {
        "exact": "b84f2bb8ba821d22c107c7733a29b3b71e5d36ca412377205b4212f3eb99d05c",
        "kind": "set",
        "members": [
            "aaec92bca3a65ef3d0d37e377c1c98c4246d3140c086e39dd5df4408faf7ab52",
            "d898bc5b098578bc9bfe7137d4ea8e3b65adf20a48e2fa381881f477b01b747a",
            "faf3af2d60748d7b5895da36c153fb5b6aef65a0f359b8fa2f9791d553711cb9"
        ]
    },
    "q2_definition": {
        "credits": {
            "e8bee1ae64182b2c8d7427d71c9830882acd1bcdd9986fad69a8ff4fc505eade": [
                1.0,
                1.0
            ]
        },
        "kind": "choice"
    },
    "q2_failure_mode": {
        "credits": {
            "55f1ae7237730fc8ad7571602a5bb04b598cabd16b8c42a5d5ea003e29843820": [
                1.0,
                1.0
            ]
        },
        "kind": "choice"
    },
    "q3_engine_needed": {
        "exact": "1f67177385e1fa5ea71c4b365ba177176e19cf54b1088bded3a90070dbc09e9d",
        "kind": "set",
        "members": [
            "04192742116b88270f7f4a32f2756dae83e9ff9563459c05c74470b6ae82ac8f",
            "2c22f418c7542e85c6528b84fe5ea6ff22148db3ae9e9b8e85cf02eadc0205e3",
            "c8c48511a28f6b2d962a2b69ea4e554b3ce9486d905603980442694976f7a001",
            "e2819b37bf633cc3ebdfebaa2633b4c62ff12c03c3413551be425050996ff9b4"
        ]
    },
    "q4_nightly_batch": {
        "credits": {
            "5d1542f5c9694e4aa4c408a60e0f27aeae718a8ec0416015df496a354babb00e": [
                1.0,
                1.0
            ]
        },
        "kind": "choice"
    },
    "q4_on_demand_agents": {
        "credits": {
            "1539b128b5631f8d0ed7802e86a50fca861064890a7f077ef6a42cf366935732": [
                1.0,
                1.0
            ]
        },
        "kind": "choice"
    }
}
