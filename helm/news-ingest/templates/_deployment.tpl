{{/*
One role's Deployment. Called with (dict "root" $ "role" "poller"|"processor" "command" "poll"|"process").
Liveness is the main loop's heartbeat (never a broker check: an outage makes pods not-ready, it does not restart
them); readiness is restored, connected and holding partitions; the startup probe leaves room for state restore.
*/}}
{{- define "news-ingest.deployment" -}}
{{- $root := .root }}
{{- $values := index $root.Values .role }}
{{- $fullname := include "news-ingest.fullname" $root }}
{{- $autoscaled := or $values.autoscaling.enabled (and (eq .role "processor") $root.Values.processor.keda.enabled) }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}-{{ .role }}
  labels:
    {{- include "news-ingest.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .role }}
spec:
  {{- if not $autoscaled }}
  replicas: {{ $values.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      # One replica at a time: each move of partitions is a rebalance, and a surge would only add another.
      maxSurge: 0
      maxUnavailable: 1
  selector:
    matchLabels:
      {{- include "news-ingest.selectorLabels" $root | nindent 6 }}
      app.kubernetes.io/component: {{ .role }}
  template:
    metadata:
      labels:
        {{- include "news-ingest.selectorLabels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .role }}
        {{- with $root.Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # A changed config rolls the pods: the worker reads its settings once, at start.
        checksum/config: {{ include "news-ingest.configData" $root | sha256sum }}
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "news-ingest.serviceAccountName" $root }}
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      # SIGTERM starts the worker's grace period (shutdownGraceSeconds); Kubernetes waits a little longer.
      terminationGracePeriodSeconds: {{ add $root.Values.shutdownGraceSeconds 15 }}
      containers:
        - name: {{ .role }}
          image: {{ include "news-ingest.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [{{ .command | quote }}, "--config", "/etc/news-ingest/config.yaml"]
          env:
            {{- include "news-ingest.env" (dict "root" $root "role" .role) | nindent 12 }}
          ports:
            - name: http-metrics
              containerPort: {{ $root.Values.service.port }}
              protocol: TCP
            {{- if and (eq .role "poller") $root.Values.websub.enabled }}
            - name: websub
              containerPort: {{ $root.Values.websub.port }}
              protocol: TCP
            {{- end }}
          startupProbe:
            httpGet: {path: /startupz, port: http-metrics}
            {{- toYaml $root.Values.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet: {path: /healthz, port: http-metrics}
            {{- toYaml $root.Values.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet: {path: /readyz, port: http-metrics}
            {{- toYaml $root.Values.probes.readiness | nindent 12 }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "news-ingest.volumeMounts" $root | nindent 12 }}
      volumes:
        {{- include "news-ingest.volumes" (dict "root" $root "configMap" (printf "%s-config" $fullname)) | nindent 8 }}
      topologySpreadConstraints:
        {{- range $key := list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
        - maxSkew: 1
          topologyKey: {{ $key }}
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "news-ingest.selectorLabels" $root | nindent 14 }}
              app.kubernetes.io/component: {{ $.role }}
        {{- end }}
      {{- with $values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
