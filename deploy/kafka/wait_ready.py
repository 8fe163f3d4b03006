"""Wait until a Kafka broker answers an admin request, or fail after a deadline."""

import sys
import time

from kafka import KafkaAdminClient
from kafka.errors import KafkaError


def main() -> int:
    bootstrap, deadline_s = sys.argv[1], float(sys.argv[2])
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
            try:
                admin.list_topics()
                return 0
            finally:
                admin.close()
        except (KafkaError, OSError):
            time.sleep(0.5)
    return 1


if __name__ == "__main__":
    sys.exit(main())
