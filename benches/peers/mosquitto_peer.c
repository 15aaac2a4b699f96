/*
 * The end-to-end workload through libmosquitto (Debian's libmosquitto-dev),
 * for the e2e bench: the same one-publisher / one-subscriber run as our
 * clients and rumqttc, and the same QoS 1 round trips.
 *
 *   mosquitto_peer throughput PORT QOS MESSAGES WINDOW BROKER_PID TOPIC
 *   mosquitto_peer rtt PORT SAMPLES TOPIC
 *
 * Both clients use mosquitto_loop_start (a network thread each), as a
 * libmosquitto program usually does; the main thread publishes. The
 * publisher keeps at most WINDOW messages unacknowledged: its on_publish
 * callback counts completions and the main thread waits for the oldest
 * one's turn when the window is full. Acknowledgements come in order, so
 * waiting for the completion count is waiting for the oldest message.
 *
 * throughput prints one line:
 *   received wall_ns cpu_ns switches broker_cpu_ns broker_switches
 * where cpu is this process's user + system time over the run (from the
 * first publish to the last message received) minus its idle rate, as the
 * Rust side measures its own clients. rtt prints, per phase,
 *   puback|own samples p50_us p99_us p999_us
 *
 * Built by the bench with `cc -O2 ... -lmosquitto -lpthread`.
 */
#include <mosquitto.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD_LEN 32
#define STALL_NS (5ull * 1000000000ull)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static uint64_t received, completed, subacked, connected;
static uint64_t target, last_arrival_ns;

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return ((uint64_t)u.ru_utime.tv_sec + (uint64_t)u.ru_stime.tv_sec) * 1000000000ull
		+ ((uint64_t)u.ru_utime.tv_usec + (uint64_t)u.ru_stime.tv_usec) * 1000ull;
}

static uint64_t switches(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (uint64_t)u.ru_nvcsw + (uint64_t)u.ru_nivcsw;
}

/* utime + stime of another process, from /proc/PID/stat. */
static uint64_t process_cpu_ns(long pid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	unsigned long long utime = 0, stime = 0;
	/* After the name: state, then fields 4..13, then utime and stime. */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
		return 0;
	long hz = sysconf(_SC_CLK_TCK);
	return (utime + stime) * 1000000000ull / (uint64_t)(hz > 0 ? hz : 100);
}

static uint64_t process_switches(long pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	uint64_t total = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long long v;
		if (strstr(line, "ctxt_switches:") && sscanf(strchr(line, ':') + 1, "%llu", &v) == 1)
			total += v;
	}
	fclose(f);
	return total;
}

static void on_connect(struct mosquitto *m, void *ud, int rc)
{
	(void)m;
	(void)ud;
	pthread_mutex_lock(&lock);
	if (rc == 0)
		connected++;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

static void on_subscribe(struct mosquitto *m, void *ud, int mid, int n, const int *granted)
{
	(void)m;
	(void)ud;
	(void)mid;
	(void)n;
	(void)granted;
	pthread_mutex_lock(&lock);
	subacked++;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

static void on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg)
{
	(void)m;
	(void)ud;
	(void)msg;
	pthread_mutex_lock(&lock);
	received++;
	last_arrival_ns = now_ns();
	if (received == target)
		pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

static void on_publish(struct mosquitto *m, void *ud, int mid)
{
	(void)m;
	(void)ud;
	(void)mid;
	pthread_mutex_lock(&lock);
	completed++;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

/* Waits until *counter reaches at least `value`, at most 30 s. */
static int wait_for(uint64_t *counter, uint64_t value)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&lock);
	while (*counter < value) {
		if (pthread_cond_timedwait(&changed, &lock, &until) != 0)
			break;
	}
	int ok = *counter >= value;
	pthread_mutex_unlock(&lock);
	return ok;
}

static struct mosquitto *client(const char *id, int port, int nodelay)
{
	struct mosquitto *m = mosquitto_new(id, true, NULL);
	if (!m) {
		fprintf(stderr, "mosquitto_new failed\n");
		exit(2);
	}
	if (nodelay)
		mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_connect_callback_set(m, on_connect);
	mosquitto_subscribe_callback_set(m, on_subscribe);
	mosquitto_message_callback_set(m, on_message);
	mosquitto_publish_callback_set(m, on_publish);
	uint64_t before = connected;
	if (mosquitto_connect(m, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "mosquitto_connect failed\n");
		exit(2);
	}
	mosquitto_loop_start(m);
	if (!wait_for(&connected, before + 1)) {
		fprintf(stderr, "no CONNACK\n");
		exit(2);
	}
	return m;
}

static void subscribe(struct mosquitto *m, const char *topic, int qos)
{
	uint64_t before = subacked;
	mosquitto_subscribe(m, NULL, topic, qos);
	if (!wait_for(&subacked, before + 1)) {
		fprintf(stderr, "no SUBACK\n");
		exit(2);
	}
}

static int throughput(int port, int qos, uint64_t messages, uint64_t window, long broker, const char *topic)
{
	target = messages;
	struct mosquitto *sub = client("e2e-mosq-sub", port, 0);
	subscribe(sub, topic, qos);
	struct mosquitto *pub = client("e2e-mosq-pub", port, 0);
	mosquitto_max_inflight_messages_set(pub, (unsigned)window);

	/* The idle rate, measured as the Rust side does (200 ms). */
	uint64_t c0 = cpu_ns(), t0 = now_ns();
	usleep(200000);
	double idle = (double)(cpu_ns() - c0) / (double)(now_ns() - t0);

	char payload[PAYLOAD_LEN];
	memset(payload, 0xA5, sizeof payload);
	uint64_t cpu0 = cpu_ns(), sw0 = switches();
	uint64_t b0 = process_cpu_ns(broker), bsw0 = process_switches(broker);
	uint64_t start = now_ns();
	for (uint64_t i = 0; i < messages; i++) {
		if (qos > 0 && i >= window && !wait_for(&completed, i - window + 1)) {
			fprintf(stderr, "a message stayed unacknowledged for 30 s\n");
			return 2;
		}
		int rc = mosquitto_publish(pub, NULL, topic, PAYLOAD_LEN, payload, qos, false);
		if (rc != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "publish: %s\n", mosquitto_strerror(rc));
			return 2;
		}
	}
	/* All received, or nothing new for 5 s (QoS 0 may drop). */
	uint64_t seen = 0, seen_at = now_ns();
	pthread_mutex_lock(&lock);
	while (received < target) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&changed, &lock, &until);
		if (received != seen) {
			seen = received;
			seen_at = now_ns();
		} else if (now_ns() - seen_at > STALL_NS) {
			break;
		}
	}
	uint64_t got = received, last = last_arrival_ns;
	pthread_mutex_unlock(&lock);
	uint64_t wall = last > start ? last - start : 0;
	uint64_t cpu = cpu_ns() - cpu0;
	uint64_t idle_ns = (uint64_t)(idle * (double)wall);
	cpu = cpu > idle_ns ? cpu - idle_ns : 0;
	printf("%llu %llu %llu %llu %llu %llu\n", (unsigned long long)got, (unsigned long long)wall,
	       (unsigned long long)cpu, (unsigned long long)(switches() - sw0),
	       (unsigned long long)(process_cpu_ns(broker) - b0),
	       (unsigned long long)(process_switches(broker) - bsw0));
	fflush(stdout);
	for (int i = 0; i < 2; i++) {
		struct mosquitto *m = i ? sub : pub;
		mosquitto_disconnect(m);
		mosquitto_loop_stop(m, false);
		mosquitto_destroy(m);
	}
	return 0;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *s, size_t n)
{
	qsort(s, n, sizeof *s, cmp);
	size_t i50 = n / 2, i99 = n * 99 / 100, i999 = n * 999 / 1000;
	if (i99 >= n)
		i99 = n - 1;
	if (i999 >= n)
		i999 = n - 1;
	printf("%s %zu %.1f %.1f %.1f\n", what, n, s[i50] / 1e3, s[i99] / 1e3, s[i999] / 1e3);
}

/* Up to `n` sequential round trips after 500 unrecorded ones, at most 3 s. */
static size_t sample(uint64_t *out, size_t n, struct mosquitto *m, const char *topic, uint64_t *counter)
{
	char payload[PAYLOAD_LEN];
	memset(payload, 0xA5, sizeof payload);
	size_t got = 0;
	for (int phase = 0; phase < 2; phase++) {
		size_t want = phase == 0 ? 500 : n;
		uint64_t cap = phase == 0 ? 500000000ull : 3000000000ull, began = now_ns();
		for (size_t i = 0; i < want; i++) {
			uint64_t before = *counter, t0 = now_ns();
			mosquitto_publish(m, NULL, topic, PAYLOAD_LEN, payload, 1, false);
			if (!wait_for(counter, before + 1)) {
				fprintf(stderr, "no answer within 30 s\n");
				exit(2);
			}
			if (phase == 1)
				out[got++] = now_ns() - t0;
			if (now_ns() - began > cap)
				break;
		}
	}
	return got;
}

static int rtt(int port, size_t n, const char *topic)
{
	uint64_t *s = calloc(n, sizeof *s);
	/* TCP_NODELAY on, as for every client in this comparison. */
	struct mosquitto *m = client("e2e-mosq-rtt", port, 1);
	char own[512];
	snprintf(own, sizeof own, "%s-sub", topic);
	size_t got = sample(s, n, m, topic, &completed);
	report("puback", s, got);
	subscribe(m, own, 1);
	got = sample(s, n, m, own, &received);
	report("own", s, got);
	fflush(stdout);
	mosquitto_disconnect(m);
	mosquitto_loop_stop(m, false);
	mosquitto_destroy(m);
	free(s);
	return 0;
}

int main(int argc, char **argv)
{
	mosquitto_lib_init();
	int rc = 2;
	if (argc == 8 && strcmp(argv[1], "throughput") == 0)
		rc = throughput(atoi(argv[2]), atoi(argv[3]), strtoull(argv[4], NULL, 10),
				strtoull(argv[5], NULL, 10), atol(argv[6]), argv[7]);
	else if (argc == 5 && strcmp(argv[1], "rtt") == 0)
		rc = rtt(atoi(argv[2]), strtoull(argv[3], NULL, 10), argv[4]);
	else
		fprintf(stderr, "usage: %s throughput PORT QOS MESSAGES WINDOW BROKER_PID TOPIC | rtt PORT SAMPLES TOPIC\n", argv[0]);
	mosquitto_lib_cleanup();
	return rc;
}
