# The learner who completed a course, shared with the certificate tests.
from tests.certificates.conftest import certificate, passed_learner, post_test  # noqa: F401
