"""Golden vectors of the counter-based generator, shared by the numpy and numba tests."""

from channelsim.rng import Purpose

# seed, purpose, path, entity, step, k
GOLDEN_KEYS = [
    (0, 0, 0, 0, 0, 0),
    (42, Purpose.HURDLE, 0, 0, 0, 0),
    (42, Purpose.HURDLE, 1, 0, 0, 0),
    (42, Purpose.AMOUNT, 3, 17, 35, 0),
    (2**63 - 1, Purpose.TRANSITION, 999, 123456, 7, 3),
    (7, Purpose.SHOCK, 2, 11, 0, 1),
]

GOLDEN = {
    "hash": [
        0xCBD37AD29B93B094,
        0xCA9606AA1E1FEFE0,
        0xCF3E4033FC2AB516,
        0xE6920ADAB3E4755C,
        0xFAC52B9469E68849,
        0x48004529B01BE7F2,
    ],
    "uniform": [
        0.7961956752947816,
        0.7913517155958513,
        0.8095436217228478,
        0.9006659301702642,
        0.9795710790002891,
        0.281254122426716,
    ],
    "normal": [
        0.6559756892138265,
        0.6281881484663875,
        -0.4950891132271688,
        0.18621886197040344,
        -0.1754183089019131,
        1.447933743431364,
    ],
}
