"""The certificate tests' learner who has passed the post-test, for the printing tests here."""

from tests.certificates.conftest import passed_learner, post_test  # noqa: F401  (fixtures)
