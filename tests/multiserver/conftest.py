# A learner who passed the post-test, shared with the certificate tests.
from tests.tasks.conftest import passed_learner  # noqa: F401
