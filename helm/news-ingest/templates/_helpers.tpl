{{/* Names and labels, following the conventions of `helm create`. */}}
{{- define "news-ingest.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "news-ingest.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "news-ingest.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "news-ingest.selectorLabels" -}}
app.kubernetes.io/name: {{ include "news-ingest.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "news-ingest.labels" -}}
helm.sh/chart: {{ include "news-ingest.chart" . }}
{{ include "news-ingest.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: news-ingest
{{- end }}

{{- define "news-ingest.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "news-ingest.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "news-ingest.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Topic names: the settings' defaults (the deployment's own topics are named from appId) unless `config.topics`
overrides them. */}}
{{- define "news-ingest.rawTopic" -}}
{{- $topics := default dict .Values.config.topics }}
{{- default (printf "%s.raw" .Values.appId) $topics.raw }}
{{- end }}

{{/*
config.yaml, built from the chart's values: what the chart owns (Kafka connection, topics provisioning, the HTTP
server port, feeds) plus `config`, merged over it, for every other setting (docs/configuration.md).
Secrets are never here: the SASL password arrives as an environment variable from a Secret.
*/}}
{{- define "news-ingest.configYaml" -}}
{{- $kafka := dict
  "bootstrap_servers" .Values.kafka.bootstrapServers
  "security_protocol" .Values.kafka.securityProtocol
  "create_topics" (not .Values.topics.provision.enabled)
  "partitions" .Values.topics.partitions
  "replication_factor" .Values.topics.replicationFactor
}}
{{- if hasPrefix "SASL" .Values.kafka.securityProtocol }}
{{- $_ := set $kafka "sasl_mechanism" .Values.kafka.sasl.mechanism }}
{{- $_ := set $kafka "sasl_username" .Values.kafka.sasl.username }}
{{- end }}
{{- if .Values.kafka.tls.enabled }}
{{- $_ := set $kafka "ssl_cafile" (printf "/etc/news-ingest-tls/%s" .Values.kafka.tls.caKey) }}
{{- if .Values.kafka.tls.certKey }}
{{- $_ := set $kafka "ssl_certfile" (printf "/etc/news-ingest-tls/%s" .Values.kafka.tls.certKey) }}
{{- $_ := set $kafka "ssl_keyfile" (printf "/etc/news-ingest-tls/%s" .Values.kafka.tls.keyKey) }}
{{- end }}
{{- end }}
{{- $owned := dict
  "app_id" .Values.appId
  "kafka" $kafka
  "server" (dict "port" (int .Values.service.port))
  "shutdown_grace_s" .Values.shutdownGraceSeconds
  "feeds" .Values.feeds
}}
{{- if .Values.feedsOpml }}
{{- $_ := set $owned "feeds_opml" "feeds.opml" }}
{{- end }}
{{- if .Values.websub.enabled }}
{{- $_ := set $owned "websub" (dict "enabled" true "port" (int .Values.websub.port) "callback_url" (required "websub.callbackUrl is required with websub.enabled" .Values.websub.callbackUrl)) }}
{{- end }}
{{- toYaml (mustMergeOverwrite (deepCopy .Values.config) $owned) }}
{{- end }}

{{- define "news-ingest.configData" -}}
config.yaml: |
{{- include "news-ingest.configYaml" . | nindent 2 }}
{{- if .Values.feedsOpml }}
feeds.opml: |
{{- .Values.feedsOpml | nindent 2 }}
{{- end }}
{{- end }}

{{/* Environment of a container: the pod name as instance id, secrets from Secret references. Called with
(dict "root" $ "role" ROLE): only pollers receive the WebSub master key (they subscribe and serve the callbacks);
every other container runs with WebSub off, so it needs no key. */}}
{{- define "news-ingest.env" -}}
{{- $root := .root -}}
- name: NEWS_INGEST_INSTANCE_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- if hasPrefix "SASL" $root.Values.kafka.securityProtocol }}
- name: NEWS_INGEST_KAFKA__SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.sasl.existingSecret is required with a SASL protocol" $root.Values.kafka.sasl.existingSecret }}
      key: {{ $root.Values.kafka.sasl.passwordKey }}
{{- end }}
{{- if and $root.Values.websub.enabled (eq .role "poller") }}
- name: NEWS_INGEST_WEBSUB__SECRET
  valueFrom:
    secretKeyRef:
      name: {{ required "websub.existingSecret is required with websub.enabled" $root.Values.websub.existingSecret }}
      key: {{ $root.Values.websub.secretKey }}
{{- else if $root.Values.websub.enabled }}
- name: NEWS_INGEST_WEBSUB__ENABLED
  value: "false"
{{- end }}
{{- with $root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "news-ingest.volumeMounts" -}}
- name: config
  mountPath: /etc/news-ingest
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- if .Values.kafka.tls.enabled }}
- name: kafka-tls
  mountPath: /etc/news-ingest-tls
  readOnly: true
{{- end }}
{{- end }}

{{- define "news-ingest.volumes" -}}
- name: config
  configMap:
    name: {{ .configMap }}
- name: tmp
  emptyDir:
    sizeLimit: {{ .root.Values.tmpSizeLimit }}
{{- if .root.Values.kafka.tls.enabled }}
- name: kafka-tls
  secret:
    secretName: {{ required "kafka.tls.existingSecret is required with kafka.tls.enabled" .root.Values.kafka.tls.existingSecret }}
{{- end }}
{{- end }}
