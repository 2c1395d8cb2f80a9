import time
from brownie import reverts

def test_scratch(registry, roles, author, coauthor, rando, registrar, cmo, make_registration, err, role, kit):
    r = make_registration("a", [(author, 6000), (coauthor, 4000)])
    t=time.time()
    tx = registry.register(r, {"from": author})
    print("register", time.time()-t)
    print(tx.events)
    ev = tx.events["WorkRegistered"]
    print(dict(ev), type(ev["holders"]), ev["holders"])
    print(registry.holdersOf(r[0]))
    print(registry.getWork(r[0]))
    t=time.time()
    try:
        registry.register(r, {"from": rando})
    except Exception as e:
        print("EXC", type(e), repr(e.revert_msg))
    print("revert", time.time()-t)
    t=time.time()
    try:
        registry.register(r, {"from": author})
    except Exception as e:
        print("EXC", type(e), repr(e.revert_msg))
    print("revert2", time.time()-t)
    try:
        roles.verifyHolder(rando, "0x"+"11"*32, {"from": rando})
    except Exception as e:
        print("EXC", type(e), repr(e.revert_msg))
    try:
        roles.verifyHolder(kit.ZERO, "0x"+"11"*32, {"from": registrar})
    except Exception as e:
        print("EXC", type(e), repr(e.revert_msg))
    try:
        registry.getWork.call(r[0], {"from": rando})
        registry.confirm.call(r[0], {"from": rando})
    except Exception as e:
        print("CALLEXC", type(e), repr(e.revert_msg))
    with err.unauthorized(rando, role.HOLDER):
        registry.register(r, {"from": rando})
    with err.reverts_with("WorkRegistry__AlreadyRegistered(bytes32,uint8)", r[0], 1):
        registry.register(r, {"from": author})
    try:
        with err.reverts_with("WorkRegistry__AlreadyRegistered(bytes32,uint8)", r[0], 2):
            registry.register(r, {"from": author})
    except AssertionError as e:
        print("GOOD", e)
    t=time.time()
    for i in range(10):
        registry.statusOf(r[0])
    print("call", (time.time()-t)/10)
