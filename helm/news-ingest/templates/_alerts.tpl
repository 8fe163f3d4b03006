{{/*
The alert rules, as a Prometheus rule-file group list. Rendered into the PrometheusRule, and checked in `make test`
with `promtool check rules` and `promtool test rules` (deploy/alerts/alerts_test.yaml).
*/}}
{{- define "news-ingest.alertGroups" -}}
{{- $job := printf "%s-metrics" (include "news-ingest.fullname" .) }}
{{- $sel := printf "job=%q, namespace=%q" $job .Release.Namespace }}
{{- $a := .Values.metrics.prometheusRule.alerts }}
- name: news-ingest
  rules:
    - alert: NewsIngestConsumerLagGrowing
      expr: |
        sum(news_ingest_consumer_lag{ {{- $sel -}} }) > {{ $a.lagRecords }}
        and
        deriv(sum(news_ingest_consumer_lag{ {{- $sel -}} })[15m:1m]) > 0
      for: {{ $a.lagFor }}
      labels:
        severity: warning
      annotations:
        summary: Processors fall behind the raw topic
        description: '{{ "{{" }} $value | humanize {{ "}}" }} raw documents wait and the backlog keeps growing: add processor replicas (up to the partitions) or look for a slow stage.'
    - alert: NewsIngestDeadLettersHigh
      expr: sum(rate(news_ingest_dlq_records_total{ {{- $sel -}} }[10m])) * 60 > {{ $a.deadLettersPerMinute }}
      for: 10m
      labels:
        severity: warning
      annotations:
        summary: Many records go to the dead-letter topic
        description: '{{ "{{" }} $value | humanize {{ "}}" }} dead letters a minute: read their reasons (news_ingest_dlq_records_total by reason), fix, then `news-ingest dlq replay`.'
    - alert: NewsIngestFeedErrorRatioHigh
      expr: |
        sum(rate(news_ingest_feed_polls_total{ {{- $sel -}}, outcome=~"error_.*"}[30m]))
          / sum(rate(news_ingest_feed_polls_total{ {{- $sel -}} }[30m])) > {{ $a.feedErrorRatio }}
      for: 30m
      labels:
        severity: warning
      annotations:
        summary: A large share of feed polls fail
        description: '{{ "{{" }} $value | humanizePercentage {{ "}}" }} of feed polls fail: see news_ingest_feed_polls_total by outcome and the pollers'' "feed poll failed" logs.'
    - alert: NewsIngestNothingPublished
      expr: (sum(increase(news_ingest_articles_published_total{ {{- $sel -}} }[{{ $a.nothingPublishedFor }}])) or vector(0)) == 0
      for: 5m
      labels:
        severity: critical
      annotations:
        summary: No article published for {{ $a.nothingPublishedFor }}
        description: No article version was published for {{ $a.nothingPublishedFor }}. Check that processors are ready (/readyz), the broker is reachable, and feeds are polled.
{{- end }}
