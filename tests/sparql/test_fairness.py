"""The parts of fair shares that need no server: turns, budgets, the gate and who a client is."""

import asyncio

import pytest
from starlette.requests import Request

from sundhedsgraf.sparql import fairness
from sundhedsgraf.sparql.fairness import Budgets, Busy, Gate, OverBudget, TooMany, Turns, client_of


def test_turns_go_round_between_clients():
    turns = Turns()
    for item in ("a1", "a2", "a3"):
        turns.add("a", item)
    turns.add("b", "b1")
    turns.add("c", "c1")
    taken = []
    while (next_one := turns.take(lambda client: True)) is not None:
        taken.append(next_one[1])
    assert taken == ["a1", "b1", "c1", "a2", "a3"]
    assert len(turns) == 0


def test_a_client_that_may_not_take_keeps_its_place():
    turns = Turns()
    turns.add("heavy", "h1")
    turns.add("light", "l1")
    assert turns.take(lambda client: client != "heavy") == ("light", "l1")
    assert turns.take(lambda client: True) == ("heavy", "h1")


def test_a_removed_item_is_not_taken():
    turns = Turns()
    turns.add("a", "a1")
    turns.add("a", "a2")
    turns.remove("a", "a1")
    assert turns.take(lambda client: True) == ("a", "a2")
    assert turns.take(lambda client: True) is None


def test_a_budget_is_spent_then_refills_evenly():
    budgets = Budgets(seconds=10, window=100, long_query=1)  # 0.1 s back per second
    assert not budgets.spent("a", now=0)
    budgets.charge("a", 12, now=0)  # charged at the end: the balance goes below zero
    assert budgets.spent("a", now=0)
    assert budgets.refill_wait("a", now=0) == 20
    assert budgets.spent("a", now=19.9)
    assert not budgets.spent("a", now=20.1)
    assert budgets.balance("a", now=1000) == 10  # never more than the budget
    assert not budgets.spent("b", now=0)  # others are untouched


def test_a_long_query_makes_a_client_heavy_for_a_window():
    budgets = Budgets(seconds=30, window=60, long_query=0.2)
    budgets.charge("quick", 0.01, now=0)
    budgets.charge("slow", 2.0, now=0)
    assert not budgets.heavy("quick", now=1)
    assert budgets.heavy("slow", now=59)
    assert not budgets.heavy("slow", now=61)


def test_forgetting_keeps_what_still_matters(monkeypatch):
    monkeypatch.setattr(fairness, "REMEMBERED", 3)
    budgets = Budgets(seconds=1, window=1, long_query=10)
    budgets.sweep_at = 3
    budgets.charge("old", 0.5, now=0)
    for n in range(3):
        budgets.charge(f"new{n}", 0.5, now=100)
    assert "old" not in budgets.balances  # refilled long ago: as if never seen
    assert budgets.used("new0", now=100) == 0.5


def request_from(peer: str, headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "headers": raw, "client": (peer, 4711)})


def test_the_client_is_the_peer_unless_a_trusted_header_is_named():
    forwarded = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
    assert client_of(request_from("10.0.0.1", forwarded), None) == "10.0.0.1"
    assert client_of(request_from("10.0.0.1", forwarded), "X-Forwarded-For") == "203.0.113.7"
    assert client_of(request_from("10.0.0.1", {}), "X-Forwarded-For") == "10.0.0.1"


def test_a_gate_takes_turns_between_clients_and_keeps_the_queue_bounded():
    """Two slots: a client with many calls waiting does not go before one that came later."""

    async def scenario():
        gate = Gate(2, 3, Budgets(seconds=100, window=100, long_query=100), idle=range(2))
        release, order = asyncio.Event(), []

        async def call(client: str, n: int):
            async with gate.held(client, asyncio.get_running_loop().time() + 5):
                order.append(f"{client}{n}")
                await release.wait()

        tasks = [asyncio.create_task(call("a", n)) for n in range(4)]
        await asyncio.sleep(0.01)
        tasks.append(asyncio.create_task(call("b", 0)))
        await asyncio.sleep(0.01)
        with pytest.raises(Busy):  # 2 running + 3 waiting: the queue is full
            await call("c", 0)
        release.set()
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(scenario()) == ["a0", "a1", "a2", "b0", "a3"]


def test_a_gate_refuses_a_spent_client_and_keeps_the_last_slot_from_a_heavy_one():

    async def scenario():
        loop = asyncio.get_running_loop()
        budgets = Budgets(seconds=1, window=1000, long_query=0.05)
        gate = Gate(2, 0, budgets, idle=range(2))
        budgets.charge("spent", 2, loop.time())
        with pytest.raises(OverBudget):
            async with gate.held("spent", loop.time() + 1):
                pass
        budgets.charge("heavy", 0.1, loop.time())  # a long call lately: heavy, budget left
        async with gate.held("light", loop.time() + 1):  # one slot left
            with pytest.raises(Busy):  # not for the heavy client, though it would be free
                async with gate.held("heavy", loop.time() + 0.2):
                    pass
            async with gate.held("light", loop.time() + 1):
                pass

    asyncio.run(scenario())


def test_a_gate_keeps_a_client_to_its_share():
    async def scenario():
        gate = Gate(1, 3, Budgets(seconds=100, window=100, long_query=100), 0.5, idle=[0])
        loop = asyncio.get_running_loop()
        with gate.admitted("greedy", loop.time()), gate.admitted("greedy", loop.time()):
            with pytest.raises(TooMany) as refused, gate.admitted("greedy", loop.time()):
                pass
            with gate.admitted("other", loop.time()):
                assert gate.in_flight == 3
        assert refused.value.most == 2
        assert gate.in_flight == 0 and not gate.in_flight_of

    asyncio.run(scenario())
