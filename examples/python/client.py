#!/usr/bin/env python3
"""A Python client of labelwise: Predict on image files, or start a Train job and watch it.

Needs grpcio and grpcio-tools (Debian: python3-grpcio python3-grpc-tools; pip: grpcio
grpcio-tools). The stubs are generated from proto/ into a temporary folder each run, so they
always match the API and nothing generated is kept in the repository.

    python3 examples/python/client.py --address localhost:50051 predict cat.jpg dog.png
    python3 examples/python/client.py predict --json --threshold 0.4 cat.jpg
    python3 examples/python/client.py train --manifest demo/manifest.xlsx \
        --image-dir demo/images --epochs 5 --input-size 32 --activate

LABELWISE_ADMIN_TOKEN, when set, is sent as "authorization: Bearer <token>".
Exit codes: 0 success, 1 a failed call or job, 2 a bad command line.
"""

import argparse
import importlib
import json
import os
import re
import sys
import tempfile

import grpc
import grpc_tools
from grpc_tools import protoc

PROTO_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")
PROTO_FILE = "labelwise/v1/labelwise.proto"


class StubError(Exception):
    """The API's stubs could not be generated."""


def compile_proto(proto_root, output_dir):
    """Runs grpc_tools' protoc on the API; returns its exit status and what it printed."""
    # google/protobuf/timestamp.proto ships inside grpc_tools.
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    arguments = [
        "grpc_tools.protoc",
        f"-I{proto_root}",
        f"-I{well_known}",
        f"--python_out={output_dir}",
        f"--grpc_python_out={output_dir}",
        PROTO_FILE,
    ]
    # protoc writes its errors to file descriptor 2 from C++, out of Python's reach, so the
    # descriptor itself is pointed at a file while it runs.
    with tempfile.TemporaryFile() as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            status = protoc.main(arguments)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        return status, captured.read().decode("utf-8", "replace")


def load_stubs(output_dir):
    """Generates labelwise_pb2 and labelwise_pb2_grpc into output_dir and imports them."""
    status, errors = compile_proto(PROTO_ROOT, output_dir)
    if status != 0 and "optional" in errors:
        # protoc before 3.12 (grpc_tools as Debian 12 packages it) rejects proto3 `optional`.
        # Without the keyword the messages are the same on the wire; the only loss is that an
        # explicit threshold of exactly 0 cannot be sent.
        legacy_root = os.path.join(output_dir, "proto")
        os.makedirs(os.path.join(legacy_root, os.path.dirname(PROTO_FILE)))
        with open(os.path.join(PROTO_ROOT, PROTO_FILE), encoding="utf-8") as source:
            text = re.sub(r"^(\s*)optional\s+", r"\1", source.read(), flags=re.MULTILINE)
        with open(os.path.join(legacy_root, PROTO_FILE), "w", encoding="utf-8") as target:
            target.write(text)
        status, errors = compile_proto(legacy_root, output_dir)
    if status != 0:
        raise StubError(f"protoc could not compile {PROTO_FILE}:\n{errors}")
    sys.path.insert(0, output_dir)
    pb2 = importlib.import_module("labelwise.v1.labelwise_pb2")
    pb2_grpc = importlib.import_module("labelwise.v1.labelwise_pb2_grpc")
    return pb2, pb2_grpc


def call_metadata():
    token = os.environ.get("LABELWISE_ADMIN_TOKEN", "")
    return [("authorization", f"Bearer {token}")] if token else []


def predict(channel, pb2, pb2_grpc, args):
    images = []
    for path in args.files:
        with open(path, "rb") as image_file:
            images.append(pb2.Image(id=path, data=image_file.read()))
    request = pb2.PredictRequest(images=images, model_version=args.model_version)
    if args.threshold is not None:
        request.threshold = args.threshold
    stub = pb2_grpc.ClassifierStub(channel)
    response = stub.Predict(request, metadata=call_metadata(), timeout=args.timeout)
    if args.json:
        print(
            json.dumps(
                {
                    "model_version": response.model_version,
                    "predictions": [
                        {
                            "id": p.id,
                            "labels": list(p.labels),
                            "scores": {s.label: round(s.score, 6) for s in p.scores},
                        }
                        for p in response.predictions
                    ],
                },
                indent=2,
            )
        )
        return 0
    print(f"model version {response.model_version}")
    for p in response.predictions:
        scores = "  ".join(f"{s.label} {s.score:.3f}" for s in p.scores)
        print(f"{p.id}: {', '.join(p.labels) or '(no label)'}\n  {scores}")
    return 0


def describe_progress(pb2, job):
    state = pb2.JobState.Name(job.state).removeprefix("JOB_STATE_").lower()
    progress = job.train_progress
    if progress.epoch > 0:
        return (
            f"{job.progress * 100:5.1f}% epoch {progress.epoch}/{progress.epochs} "
            f"loss {progress.loss:.4f} val F1 {progress.validation_f1_macro:.3f} "
            f"ETA {progress.eta_seconds:.0f}s"
        )
    return f"{job.progress * 100:5.1f}% {state}: {job.message}"


def train(channel, pb2, pb2_grpc, args):
    stub = pb2_grpc.TrainerStub(channel)
    request = pb2.TrainRequest(
        manifest=args.manifest,
        image_dir=args.image_dir,
        epochs=args.epochs,
        batch_size=args.batch_size,
        input_size=args.input_size,
        architecture=args.architecture,
        activate=args.activate,
    )
    job = stub.Train(request, metadata=call_metadata(), timeout=args.timeout)
    print(f"started train job {job.id}", file=sys.stderr)
    last_line = ""
    # One WatchJob stream, no deadline: it ends when the job does.
    for job in stub.WatchJob(pb2.JobRef(id=job.id), metadata=call_metadata()):
        line = describe_progress(pb2, job)
        if line != last_line:
            print(line, file=sys.stderr)
            last_line = line
    state = pb2.JobState.Name(job.state)
    if state != "JOB_STATE_SUCCEEDED":
        print(f"train job {job.id} ended {state}: {job.message}")
        return 1
    result = job.train
    print(
        f"train job {job.id} succeeded: model version {result.model_version}, "
        f"best epoch {result.best_epoch} of {result.epochs_run}, "
        f"validation F1 micro {result.validation.f1_micro:.3f} "
        f"macro {result.validation.f1_macro:.3f}"
    )
    for label in result.validation.labels:
        print(
            f"  {label.label:<12} support {label.support:>5}  f1 {label.f1:.3f}  "
            f"threshold {label.threshold:.2f}"
        )
    return 0


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description="Call a labelwise server from Python.")
    parser.add_argument("--address", default="localhost:50051", help="server host:port")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds per unary call (not for watching)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    predict_parser = commands.add_parser("predict", help="labels and scores of image files")
    predict_parser.add_argument("files", nargs="+")
    predict_parser.add_argument("--threshold", type=float, default=None)
    predict_parser.add_argument("--model-version", default="")
    predict_parser.add_argument("--json", action="store_true")

    train_parser = commands.add_parser("train", help="start a Train job and watch it")
    train_parser.add_argument("--manifest", required=True, help="relative to the data directory")
    train_parser.add_argument("--image-dir", required=True, help="relative to the data directory")
    train_parser.add_argument("--epochs", type=int, default=0, help="0 keeps the server default")
    train_parser.add_argument("--batch-size", type=int, default=0)
    train_parser.add_argument("--input-size", type=int, default=0)
    train_parser.add_argument("--architecture", default="")
    train_parser.add_argument("--activate", action="store_true")
    return parser.parse_args(argv)


def main(argv):
    args = parse_arguments(argv)
    with tempfile.TemporaryDirectory(prefix="labelwise-stubs-") as stubs_dir:
        try:
            pb2, pb2_grpc = load_stubs(stubs_dir)
        except StubError as error:
            print(error, file=sys.stderr)
            return 1
        with grpc.insecure_channel(args.address) as channel:
            try:
                if args.command == "predict":
                    return predict(channel, pb2, pb2_grpc, args)
                return train(channel, pb2, pb2_grpc, args)
            except grpc.RpcError as error:
                print(f"{error.code().name}: {error.details()}", file=sys.stderr)
                return 1
            except OSError as error:
                print(f"cannot read {error.filename}: {error.strerror}", file=sys.stderr)
                return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
