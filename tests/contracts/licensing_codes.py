"""The codes the licensing contracts answer with, named once for the contract tests
(SPECIFICATION.md "Terms used": coverage reasons and grant kinds; a territory left unspecified)."""

from ledger.core.types import USES

AI = USES["ai-training"]
REPRO = USES["reproduce"]
# Coverage.reason (0 = covered)
(COVERED, NONE, REVOKED, SUSPENDED, NOT_YET_VALID, EXPIRED, WRONG_TERRITORY, WITHDRAWN, RESERVED,
 NOT_CONFIRMED) = range(10)
# Coverage.kind
K_WORK, K_BLANKET, K_OPEN, K_STATUTORY = 1, 2, 3, 4
NO_TERRITORY = "0x0000"
