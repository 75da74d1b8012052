"""Jalin's approval-flow benchmark: the whole platform as processes, on one machine, in one run.

    .venv/bin/python -m bench.approval_flow            # full run (~4-5 minutes), from the clone's root
    .venv/bin/python -m bench.approval_flow --quick    # smoke test (< 60 s); .ci/run runs it
    .venv/bin/python bench/approval_flow --quick       # the same, from any folder

What it does, in order (bench/README.md explains each figure):
 1. starts nats-server, the four services (SQLite default) and an SMTP sink on free ports;
 2. creates and submits every proposal the timed phases will approve (not timed);
 3. raw nats-py baselines on the same nats-server: JetStream publish one at a time,
    fetch + ack of a backlog, publish + pull-consume together, and a raw 2-hop chain;
 4. the same 2-hop chain built from jalin-kit's event plumbing (FastStream pull consumer,
    inbox, SQLite transaction, outbox relay), for the plumbing / raw ratio;
 5. a few approvals at a light rate (nothing queues), then approvals paced at --rate for
    --duration: latency from the approve call returning to the document, the plan and the
    "document.generated" inbox message all being committed;
 6. a burst of --n approvals from concurrent clients: approvals/s until all effects are done;
 7. GET /v1/proposals/{id} from concurrent clients: reads/s; RSS of every process;
 8. checks over HTTP that every approved proposal has its three effects;
 9. prints a report, with the previous committed run's figures beside this run's, and writes
    it (markdown + JSON) into bench/results/ (or --results-dir).

How effects are observed: a watcher in its own thread subscribes (plain nats-py, core
NATS) to the ack subjects of the consumers that mark an effect ($JS.ACK.JALIN.<consumer>.>).
The platform's consumers ack a message only after the handler's transaction committed, so
the first ack of ``documents-proposal-approved``, ``evaluation-proposal-approved`` and
``notifications-document-generated`` for a proposal's events is the moment its document,
plan and notification became visible. The acked stream sequence is mapped to the proposal
after the phase (``get_msg``). A sample of the paced approvals is also polled over HTTP (the
three GETs) to check that method.

The modules, by concern: ``settings`` (names, targets, options), ``common`` (statistics,
logging, HTTP clients), ``procs`` (/proc sampling, helper processes, the SMTP sink),
``watcher`` (acks and events), ``raw_jetstream`` (the raw baselines and the raw hop process),
``kit_chain`` (the jalin-kit hop process), ``chains`` (the 2-hop chains' load), ``flow`` (the
approval phases over HTTP), ``phases`` (the run, in order), ``machine`` (what was measured on
what), ``judge`` (targets, ratios, checks), ``previous`` (the previous committed run),
``report`` (markdown and files), ``cli`` (the command).
"""
