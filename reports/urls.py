from django.urls import path

import ce_course.converters  # noqa: F401  (registers the <id:> and <attempt_number:> converters)
from reports import jobs_views, views

urlpatterns = [
    path("reports/", views.completion_report, name="reports"),
    path("reports/export/completions.csv", views.export_csv, name="report_csv"),
    path("reports/export/roster.xlsx", views.export_roster, name="report_roster"),
    path("reports/export/summary.pdf", views.export_summary_pdf, name="report_summary_pdf"),
    path("reports/export/certificates.zip", views.export_zip, name="report_zip"),
    path("reports/roster/mark-reported/", views.roster_mark_reported, name="roster_mark_reported"),
    path("reports/roster/<id:batch_id>.xlsx", views.roster_batch_download, name="roster_batch"),
    path("reports/activity/<slug:slug>.pdf", views.activity_file, name="activity_file"),
    path("reports/item-statistics/<slug:slug>/", views.item_statistics, name="item_statistics"),
]

# Background exports (reports/jobs.py): "My exports", a job's progress page and its file.
urlpatterns += [
    path("reports/exports/", jobs_views.export_job_list, name="export_jobs"),
    path("reports/exports/<id:job_id>/", jobs_views.export_job_detail, name="export_job"),
    path("reports/exports/<id:job_id>/download/", jobs_views.export_job_download, name="export_job_download"),
]
