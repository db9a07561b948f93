"""deploy/template.yaml: cfn-lint passes on it, and it says what the deployment needs, read with
cfn-lint's own decoder (which knows `!Ref`, `!GetAtt`, `!Sub`): every queue has a dead-letter
queue after 5 receives and a consumer that reports partial batch failures, with a visibility
timeout of at least six times that consumer's timeout; the bucket is private, encrypted and has
a lifecycle; each role grants its function what it needs and nothing more; the JWT secret has no
default; every dead-letter queue has an alarm; the settings it passes are billtrack's.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file  # type: ignore[import-untyped]  # no type information
from cfnlint.decode import decode  # type: ignore[import-untyped]

from billtrack.entrypoints.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
TEMPLATE = DEPLOY / "template.yaml"
DOCKERFILE = DEPLOY / "worker.Dockerfile"
MAX_RECEIVE = 5
FOURTEEN_DAYS = 14 * 24 * 60 * 60
# The one kind of action that IAM scopes to no resource: a VPC function's network interfaces.
NETWORK_INTERFACE_ACTIONS = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}


@cache
def template() -> dict[str, Any]:
    decoded, problems = decode(str(TEMPLATE))
    assert not problems, problems
    assert decoded is not None
    return dict(decoded)


def resources(kind: str) -> dict[str, Mapping[str, Any]]:
    return {
        name: resource
        for name, resource in template()["Resources"].items()
        if resource["Type"] == kind
    }


def properties(name: str) -> Mapping[str, Any]:
    props: Mapping[str, Any] = template()["Resources"][name].get("Properties", {})
    return props


def functions() -> dict[str, Mapping[str, Any]]:
    return resources("AWS::Serverless::Function")


def function_setting(name: str, key: str) -> Any:
    """A function's property, or the one the template's Globals give every function."""
    own = properties(name)
    if key in own:
        return own[key]
    return template().get("Globals", {}).get("Function", {}).get(key)


def environment(name: str) -> dict[str, Any]:
    shared = template()["Globals"]["Function"].get("Environment", {}).get("Variables", {})
    own = properties(name).get("Environment", {}).get("Variables", {})
    return {**shared, **own}


def referenced(value: Any) -> str:
    """The logical id that a `!Ref X` or a `!GetAtt X.Arn` names."""
    if "Ref" in value:
        return str(value["Ref"])
    target = value["Fn::GetAtt"]
    return str(target[0] if isinstance(target, list) else target.split(".")[0])


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


# -- cfn-lint ------------------------------------------------------------------------------------


def test_cfn_lint_passes_with_its_informational_checks_in_both_documented_regions() -> None:
    matches = lint_file(
        TEMPLATE, config=ManualArgs(regions=["us-east-1", "eu-central-1"], include_checks=["I"])
    )

    assert [str(match) for match in matches] == []


# -- queues --------------------------------------------------------------------------------------


def work_queues() -> dict[str, Mapping[str, Any]]:
    return {
        name: queue
        for name, queue in resources("AWS::SQS::Queue").items()
        if "RedrivePolicy" in queue["Properties"]
    }


def sqs_events() -> Iterator[tuple[str, Mapping[str, Any]]]:
    for function_name, function in functions().items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                yield function_name, event["Properties"]


def test_every_queue_is_a_work_queue_with_a_dead_letter_queue_or_such_a_dead_letter_queue() -> None:
    queues = resources("AWS::SQS::Queue")
    dead_letter_queues = {
        referenced(queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for queue in work_queues().values()
    }

    assert set(work_queues()) == {"RenderQueue", "MailQueue"}
    assert set(queues) == set(work_queues()) | dead_letter_queues
    assert len(dead_letter_queues) == len(work_queues())
    for name in dead_letter_queues:
        assert "RedrivePolicy" not in queues[name]["Properties"]
        assert queues[name]["Properties"]["MessageRetentionPeriod"] == FOURTEEN_DAYS, name


def test_every_work_queue_moves_a_message_to_its_dead_letters_after_five_receives() -> None:
    for name, queue in work_queues().items():
        assert int(queue["Properties"]["RedrivePolicy"]["maxReceiveCount"]) == MAX_RECEIVE, name
    # The functions give a job up on the same receive as SQS moves it.
    for name in functions():
        assert environment(name)["BILLTRACK_SQS_MAX_RECEIVE"] == str(MAX_RECEIVE), name


def test_every_work_queue_has_one_consumer_reporting_partial_batch_failures() -> None:
    consumers: dict[str, list[str]] = {}
    for function_name, event in sqs_events():
        consumers.setdefault(referenced(event["Queue"]), []).append(function_name)
        assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"], function_name
        assert event["BatchSize"] == 10, function_name

    assert consumers == {"RenderQueue": ["RenderWorkerFunction"], "MailQueue": ["MailerFunction"]}


def test_a_message_stays_hidden_for_six_times_its_consumers_timeout() -> None:
    for function_name, event in sqs_events():
        queue = properties(referenced(event["Queue"]))
        timeout = int(function_setting(function_name, "Timeout"))
        assert int(queue["VisibilityTimeout"]) >= 6 * timeout, function_name


# -- the bucket ----------------------------------------------------------------------------------


def test_the_bucket_is_private_encrypted_and_has_a_lifecycle() -> None:
    (bucket,) = resources("AWS::S3::Bucket").values()
    props = bucket["Properties"]

    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    rules = [r for r in props["LifecycleConfiguration"]["Rules"] if r["Status"] == "Enabled"]
    assert any(r.get("Transitions") for r in rules)
    assert any(r.get("AbortIncompleteMultipartUpload") for r in rules)
    assert bucket["DeletionPolicy"] == "Retain"


def test_the_bucket_refuses_every_request_without_tls() -> None:
    (policy,) = resources("AWS::S3::BucketPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]

    assert any(
        s["Effect"] == "Deny"
        and s["Principal"] == "*"
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        and len(as_list(s["Resource"])) == 2
        for s in statements
    )


# -- least privilege ---------------------------------------------------------------------------


def role_statements(role: str) -> list[Mapping[str, Any]]:
    statements: list[Mapping[str, Any]] = []
    for policy in properties(role)["Policies"]:
        statements.extend(policy["PolicyDocument"]["Statement"])
    return statements


def resource_name(resource: Any) -> str:
    """A statement's resource, shortened: `RenderQueue`, `InvoiceBucket`, `InvoiceBucket/*`."""
    if resource == "*":
        return "*"
    if "Fn::Sub" in resource:
        text = resource["Fn::Sub"]
        match = re.fullmatch(r"\$\{(\w+)\.Arn\}(/\*)?", text)
        assert match, text
        return match[1] + (match[2] or "")
    return referenced(resource)


def permissions(role: str) -> set[tuple[str, str]]:
    """(action, resource) of every Allow of the role, less its logs and network interfaces."""
    granted = set()
    for statement in role_statements(role):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            for resource in as_list(statement["Resource"]):
                if action.startswith("logs:") or action in NETWORK_INTERFACE_ACTIONS:
                    continue
                granted.add((action, resource_name(resource)))
    return granted


def test_each_function_has_a_role_of_its_own() -> None:
    roles = {name: referenced(properties(name)["Role"]) for name in functions()}

    assert len(set(roles.values())) == len(roles)
    assert set(roles.values()) == set(resources("AWS::IAM::Role"))
    for name in functions():
        assert "Policies" not in properties(name), f"{name}: SAM policies would add to its role"


def test_no_role_allows_everything_and_only_network_interfaces_on_any_resource() -> None:
    for role in resources("AWS::IAM::Role"):
        assert "ManagedPolicyArns" not in properties(role), role
        for statement in role_statements(role):
            actions = set(as_list(statement["Action"]))
            assert not any(a == "*" or a.endswith(":*") for a in actions), (role, actions)
            if "*" in as_list(statement["Resource"]):
                assert actions <= NETWORK_INTERFACE_ACTIONS, (role, actions)


def test_each_role_grants_what_its_function_needs_and_nothing_more() -> None:
    consume = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
    expected = {
        # Publishes renders (and mails sent again), reads both queues for readiness, reads PDFs
        # for the pre-signed links, and heads the bucket.
        "ApiRole": {
            ("sqs:SendMessage", "RenderQueue"),
            ("sqs:SendMessage", "MailQueue"),
            ("sqs:GetQueueAttributes", "RenderQueue"),
            ("sqs:GetQueueAttributes", "MailQueue"),
            ("s3:GetObject", "InvoiceBucket/*"),
            ("s3:ListBucket", "InvoiceBucket"),
        },
        "RenderWorkerRole": {(a, "RenderQueue") for a in consume}
        | {("sqs:SendMessage", "MailQueue"), ("s3:PutObject", "InvoiceBucket/*")},
        "MailerRole": {(a, "MailQueue") for a in consume}
        | {("s3:GetObject", "InvoiceBucket/*"), ("s3:ListBucket", "InvoiceBucket")},
        "SweeperRole": {("sqs:SendMessage", "RenderQueue")},
    }

    assert {role: permissions(role) for role in resources("AWS::IAM::Role")} == expected


def test_each_function_logs_to_its_own_group_and_may_write_only_there() -> None:
    for name in functions():
        log_group = referenced(properties(name)["LoggingConfig"]["LogGroup"])
        role = referenced(properties(name)["Role"])
        logs = [s for s in role_statements(role) if as_list(s["Action"])[0].startswith("logs:")]
        assert [resource_name(s["Resource"]) for s in logs] == [log_group], name
        retention = properties(log_group)["RetentionInDays"]
        assert retention == {"Ref": "LogRetentionDays"}


# -- secrets and settings ------------------------------------------------------------------------


def test_the_jwt_secret_is_a_parameter_without_echo_nor_default_given_only_to_the_api() -> None:
    parameter = template()["Parameters"]["JwtSecret"]

    assert parameter["NoEcho"] is True
    assert "Default" not in parameter
    assert int(parameter["MinLength"]) >= 32
    holders = [n for n in functions() if "BILLTRACK_JWT_SECRET" in environment(n)]
    assert holders == ["ApiFunction"]
    assert environment("ApiFunction")["BILLTRACK_JWT_SECRET"] == {"Ref": "JwtSecret"}


def test_the_database_url_is_resolved_from_secrets_manager() -> None:
    for name in functions():
        assert environment(name)["BILLTRACK_DATABASE_URL"] == {
            "Fn::Sub": "{{resolve:secretsmanager:${DatabaseUrlSecretArn}}}"
        }
    assert "Default" not in template()["Parameters"]["DatabaseUrlSecretArn"]


def test_the_smtp_password_comes_from_a_secret_and_only_the_mailer_has_it() -> None:
    holders = [n for n in functions() if "BILLTRACK_SMTP_PASSWORD" in environment(n)]
    assert holders == ["MailerFunction"]
    password = environment("MailerFunction")["BILLTRACK_SMTP_PASSWORD"]["Fn::If"]
    assert password[1] == {"Fn::Sub": "{{resolve:secretsmanager:${SmtpPasswordSecretArn}}}"}


def test_every_variable_the_functions_get_is_a_billtrack_setting() -> None:
    for name in functions():
        for variable in environment(name):
            assert variable.startswith("BILLTRACK_"), (name, variable)
            assert variable.removeprefix("BILLTRACK_").lower() in Settings.model_fields, variable


def test_the_functions_use_sqs_and_s3_and_only_the_render_worker_chromium() -> None:
    for name in functions():
        variables = environment(name)
        assert variables["BILLTRACK_QUEUE"] == "sqs"
        assert variables["BILLTRACK_STORAGE"] == "s3"
        assert variables["BILLTRACK_SQS_QUEUE_URL"] == {"Ref": "RenderQueue"}
        assert variables["BILLTRACK_SQS_MAIL_QUEUE_URL"] == {"Ref": "MailQueue"}
        assert variables["BILLTRACK_S3_BUCKET"] == {"Ref": "InvoiceBucket"}
        expected = "chromium" if name == "RenderWorkerFunction" else "builtin"
        assert variables["BILLTRACK_PDF_RENDERER"] == expected, name


def test_every_function_runs_in_the_vpc_of_the_database() -> None:
    for name in functions():
        assert function_setting(name, "VpcConfig") == {
            "SubnetIds": {"Ref": "SubnetIds"},
            "SecurityGroupIds": {"Ref": "SecurityGroupIds"},
        }


# -- the functions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "handler"),
    [
        ("ApiFunction", "billtrack.entrypoints.aws.api.handler"),
        ("MailerFunction", "billtrack.entrypoints.aws.mailer.handler"),
        ("SweeperFunction", "billtrack.entrypoints.aws.sweeper.handler"),
    ],
)
def test_the_zip_functions_name_handlers_that_exist(function: str, handler: str) -> None:
    props = properties(function)
    assert props["Handler"] == handler
    version = re.fullmatch(r"python3\.(\d+)", props["Runtime"])
    assert version
    assert int(version[1]) >= 11
    module, attribute = handler.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module), attribute))
    # Built by deploy/Makefile, whose target SAM names after the function.
    assert template()["Resources"][function]["Metadata"]["BuildMethod"] == "makefile"
    assert f"build-{function}" in (DEPLOY / "Makefile").read_text(encoding="utf-8")


def test_the_render_worker_is_the_image_of_the_worker_dockerfile() -> None:
    worker = template()["Resources"]["RenderWorkerFunction"]
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")

    assert worker["Properties"]["PackageType"] == "Image"
    assert (TEMPLATE.parent / worker["Metadata"]["DockerContext"] / "pyproject.toml").is_file()
    assert worker["Metadata"]["Dockerfile"] == "deploy/worker.Dockerfile"
    assert re.search(r"^FROM public\.ecr\.aws/lambda/python:3\.1[2-9]\b", dockerfile, re.M)
    assert 'CMD ["billtrack.entrypoints.aws.render_worker.handler"]' in dockerfile
    chromium = environment("RenderWorkerFunction")["BILLTRACK_CHROMIUM_PATH"]
    assert f" {chromium}" in dockerfile, "the Dockerfile puts Chromium where the function looks"
    assert int(properties("RenderWorkerFunction")["MemorySize"]) >= 2048


def test_the_sweeper_runs_every_five_minutes() -> None:
    (event,) = properties("SweeperFunction")["Events"].values()

    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == "rate(5 minutes)"
    # What was published is sent again only after its message has had all its receives.
    older_than = json.loads(event["Properties"]["Input"])["olderThanSeconds"]
    render_queue = properties("RenderQueue")
    assert older_than > MAX_RECEIVE * int(render_queue["VisibilityTimeout"])


def test_the_api_function_serves_the_default_route_of_the_http_api() -> None:
    (event,) = properties("ApiFunction")["Events"].values()

    assert event["Type"] == "HttpApi"
    assert event["Properties"]["ApiId"] == {"Ref": "HttpApi"}
    assert "Path" not in event["Properties"]  # the $default route: every path goes to the app
    assert int(properties("ApiFunction")["Timeout"]) <= 30  # API Gateway waits 30 s at most


# -- alarms and outputs --------------------------------------------------------------------------


def test_every_dead_letter_queue_has_an_alarm_on_its_first_message() -> None:
    dead_letter_queues = {
        referenced(queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for queue in work_queues().values()
    }
    watched = set()
    for alarm in resources("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props.get("MetricName") != "ApproximateNumberOfMessagesVisible":
            continue
        assert props["Namespace"] == "AWS/SQS"
        assert props["ComparisonOperator"] == "GreaterThanThreshold"
        assert float(props["Threshold"]) == 0
        (dimension,) = props["Dimensions"]
        assert dimension["Name"] == "QueueName"
        assert dimension["Value"]["Fn::GetAtt"][1] == "QueueName"
        watched.add(referenced(dimension["Value"]))

    assert watched == dead_letter_queues


def test_the_outputs_name_what_a_person_needs() -> None:
    outputs = template()["Outputs"]

    for name in ["ApiUrl", "RenderQueueUrl", "MailQueueUrl", "InvoiceBucketName"]:
        assert name in outputs
    for name in ["RenderDeadLetterQueueArn", "MailDeadLetterQueueArn"]:
        assert outputs[name]["Value"]["Fn::GetAtt"][1] == "Arn"


def test_the_readme_explains_every_parameter() -> None:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")

    for name in template()["Parameters"]:
        assert f"`{name}`" in readme, name
