"""The benchmark floor: a bare Django view, routed only when BENCH_HELLO is on (never in production)."""

from django.http import HttpResponse


def hello(request):
    return HttpResponse(b"hello", content_type="text/plain")
