"""Course logic built on the simulator: the decision matrix and tree, the recommender, evidence,
sagas, self-healing and the component drills."""
