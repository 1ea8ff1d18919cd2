# Shared with the certificate tests: a learner who completed a course, and its post-test.
from tests.certificates.conftest import certificate, passed_learner, post_test  # noqa: F401
