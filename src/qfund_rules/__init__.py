"""qfund_rules: the Hami City quality fund measures as versioned YAML rules.

Load the rules, load a batch of claims, evaluate, read the decisions::

    import qfund_rules as q

    rules = q.load_rules()                       # the shipped rule files
    batch = rules.load_batch("examples/claims-2027.yaml")
    result = q.evaluate(rules, batch)
    print(result.to_json())

Everything here is immutable and free of global state: one :class:`RuleSet` may be shared
by any number of threads.
"""

from importlib.metadata import PackageNotFoundError, version

from ._measures import check_citations
from ._yaml import Limits
from .allocation import RoundError, RoundResult, run_round
from .claims import Applicant, Batch, batch_from_data, batch_sha256, batch_to_data, load_batch
from .decision import Decision, Evaluation, TraceStep
from .engine import evaluate
from .errors import BatchError, InputError, LedgerError, Problem, QfundError, RuleFileError
from .history import NO_HISTORY, History, StaticHistory
from .ledger import MemoryLedger, SqliteLedger
from .rules import RuleSet, load_rules

try:
    __version__ = version("qfund-rules")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "NO_HISTORY",
    "Applicant",
    "Batch",
    "BatchError",
    "Decision",
    "Evaluation",
    "History",
    "InputError",
    "LedgerError",
    "Limits",
    "MemoryLedger",
    "Problem",
    "QfundError",
    "RoundError",
    "RoundResult",
    "RuleFileError",
    "RuleSet",
    "SqliteLedger",
    "StaticHistory",
    "TraceStep",
    "__version__",
    "batch_from_data",
    "batch_sha256",
    "batch_to_data",
    "check_citations",
    "evaluate",
    "load_batch",
    "load_rules",
    "run_round",
]
