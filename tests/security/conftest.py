from tests.certificates.conftest import certificate, passed_learner, post_test  # noqa: F401
