//! The `--help` texts. mosquitto prints its usage on stdout and exits with
//! status 1, also for `--help`; so do these programs.

use super::Tool;

/// The usage of `tool`.
pub fn usage(tool: Tool) -> String {
    match tool {
        Tool::Pub => format!("{PUB}{COMMON}{TLS}{DIFFERENCES}"),
        Tool::Sub => format!("{SUB}{COMMON}{TLS}{DIFFERENCES}"),
    }
}

/// `--version`.
pub fn version(tool: Tool) -> String {
    format!(
        "{} version {} running on adapter-std (mosquitto_{} 2.0 compatible).\n",
        tool.name(),
        env!("CARGO_PKG_VERSION"),
        tool.name()
    )
}

const PUB: &str = "\
pub is a simple mqtt client that will publish a message on a single topic and exit.
(mosquitto_pub's flags, output and exit statuses, on the blocking adapter-std client).

Usage: pub {[-h host] [-p port] [-u username] [-P password] -t topic | -L URL}
           {-f file | -l | -n | -m message | -s}
           [-c] [-k keepalive] [-q qos] [-r] [--repeat N] [--repeat-delay time] [-x session-expiry]
           [--session-dir dir]
           [-A bind_address] [--nodelay] [-i id] [-I id_prefix] [-d] [--quiet] [-M max_inflight]
           [-V protocol-version] [--will-topic [--will-payload payload] [--will-qos qos] [--will-retain]]
           [--cafile file [--cert file --key file] [--ciphers ciphers] [--insecure]
            [--tls-alpn protocol] [--tls-version version] [--tls-use-os-certs]]
           [-D command identifier value]
       pub --help

 -f : send the contents of a file as the message.
 -l : read messages from stdin, sending a separate message for each line.
 -m : message payload to send.
 -n : send a null (zero length) message.
 -s : read message from stdin, sending the entire input as a message.
 -q : quality of service level to use for all messages. Defaults to 0.
 -r : message should be retained.
 -t : mqtt topic to publish to.
 --repeat : if publish mode is -f, -m, -s or -n, then repeat the publish N times.
 --repeat-delay : if using --repeat, wait time seconds between publishes. Defaults to 0.
";

const SUB: &str = "\
sub is a simple mqtt client that will subscribe to a set of topics and print all messages it receives.
(mosquitto_sub's flags, output and exit statuses, on the blocking adapter-std client).

Usage: sub {[-h host] [-p port] [-u username] [-P password] -t topic | -L URL [-t topic]}
           [-c] [-k keepalive] [-q qos] [-x session-expiry-interval] [--session-dir dir]
           [-C msg_count] [-E] [-R] [--retained-only] [--remove-retained] [-T filter_out] [-U topic ...]
           [-F format] [-W timeout_secs] [-A bind_address] [--nodelay] [-i id] [-I id_prefix]
           [-d] [-N] [--quiet] [-v] [--pretty] [--random-filter chance] [--retain-as-published]
           [-V protocol-version] [--will-topic [--will-payload payload] [--will-qos qos] [--will-retain]]
           [--cafile file [--cert file --key file] [--ciphers ciphers] [--insecure]
            [--tls-alpn protocol] [--tls-version version] [--tls-use-os-certs]]
           [-D command identifier value]
       sub --help

 -t : mqtt topic to subscribe to. May be repeated multiple times.
 -q : quality of service level to use for the subscription. Defaults to 0.
 -C : disconnect and exit after receiving the 'msg_count' messages.
 -E : Exit once all subscriptions have been acknowledged by the broker.
 -F : output format: %t topic, %p payload, %l length, %q QoS, %r retain, %m message id,
      %x / %X payload in hex, %P user properties, %A %C %D %E %F %R %S the topic alias,
      content type, correlation data, expiry interval, payload format, response topic
      and subscription identifier, %I ISO 8601 time, %U Unix time, %j / %J JSON with the
      payload escaped / parsed, %% a %; @H, @M ... strftime fields, @N nanoseconds, @@ an @;
      \\n \\t \\r \\v \\a \\e \\0 \\\\ escapes; -, 0, width and .precision as in printf.
 -N : do not add an end of line character when printing the payload.
 -R : do not print stale messages (those with retain set).
 -T : topic string to filter out of results. May be repeated.
 -U : unsubscribe from a topic. May be repeated.
 -v : print published messages verbosely: 'topic payload'.
 -W : Specifies a timeout in seconds how long to process incoming MQTT messages
      (exit status 27 when it runs out).
 --pretty : print formatted output rather than minimised output when using the
            JSON output format option.
 --random-filter : only print a percentage of received messages.
 --retained-only : only handle messages with the retained flag set, and exit when the
                   first non-retained message is received.
 --remove-retained : send a message to the server to clear any received retained messages.
                     Use -T to filter out messages you do not want to be cleared.
 --retain-as-published : ask the broker to keep the retain flag of forwarded messages (5.0).
";

const COMMON: &str = "
 -A : bind the outgoing socket to this host/ip address.
 -c : disable clean session/enable persistent client mode (needs -i). In MQTT v5 the
      session then never expires unless -x says otherwise.
 -d : enable debug messages: libmosquitto's packet trace on stdout.
 -D : Define MQTT v5 properties: -D command identifier value, e.g.
      -D publish user-property name value, -D connect session-expiry-interval 60.
      Implies -V mqttv5.
 -h : mqtt host to connect to. Defaults to localhost.
 -i : id to use for this client. Defaults to a generated one.
 -I : define the client id as id_prefix appended with the process id.
 -k : keep alive in seconds for this client (5 to 65535). Defaults to 60.
 -L : specify user, password, hostname, port and topic as a URL in the form:
      mqtt(s)://[username[:password]@]host[:port]/topic (user and password may be
      percent-encoded), or ws(s)://[username[:password]@]host[:port]/path for
      MQTT over WebSocket, the topic then given with -t.
 -M : the maximum inflight messages for QoS 1/2. Defaults to 20.
 -p : network port to connect to. Defaults to 1883 for plain MQTT and 8883 with --cafile.
 -P : provide a password
 -u : provide a username
 -V : specify the version of the MQTT protocol to use when connecting.
      Can be mqttv5, mqttv311 or mqttv31 (or 5, 311, 31). Defaults to mqttv311.
 -x : Set the session-expiry-interval property on the CONNECT packet (MQTT v5 only):
      0-4294967294 seconds, or -1, 4294967295 or ∞ for a session that does not expire.
      Defaults to -1 if -c is also given, or 0 if -c not given.
 --help : display this message.
 --nodelay : disable Nagle's algorithm.
 --session-dir : keep the session in a private file store in this directory (not in
      mosquitto's tools): with -c, a run killed at any instant loses no message and a
      later run with the same -i resumes it.
 --quiet : don't print error messages.
 --will-payload : payload for the client Will (zero length if not given).
 --will-qos : QoS level for the client Will.
 --will-retain : if given, make the client Will retained.
 --will-topic : the topic on which to publish the client Will.
";

const TLS: &str = "
 --cafile : path to a file containing trusted CA certificates to enable encrypted
            communication.
 --cert : client certificate for authentication, if required by server.
 --key : client private key for authentication, if required by server.
 --ciphers : list of TLS cipher suites to offer (OpenSSL or IANA names).
 --tls-alpn : TLS ALPN protocol to offer.
 --tls-version : the oldest TLS version to accept: tlsv1.3 or tlsv1.2 (tlsv1.1 allows
                 what this client has, 1.2 and 1.3). Defaults to tlsv1.2.
 --tls-use-os-certs : Load and trust OS provided CA certificates (turns TLS on).
 --insecure : do not check that the server certificate hostname matches the remote
              hostname. Do not use this option in a production environment.
";

const DIFFERENCES: &str = "
Exit status: 0 on success; 1 on a usage error or a failed connection; the CONNACK's
return code (3.x) or reason code (5.0) when the broker refuses the connection;
8 when TLS fails; sub: 27 when -W runs out; pub: 7 when the connection is lost
before every message is delivered. --help and --version exit with 1, as mosquitto's.

Differences from mosquitto 2.0: no options file, --capath, --psk, --proxy, --unix,
--tls-engine or --keyform; -P needs -u in 5.0 too; ws:// and wss:// URLs, percent-encoded
user and password in -L; with -l, a lost connection ends pub (mosquitto_pub waits
for it to come back); --remove-retained with -C ends once the removals are
acknowledged (mosquitto_sub 2.0 never ends); -D properties with MQTT 3.x are
refused before connecting, and so are property values the protocol forbids;
-D publish topic-alias lets the client choose its topic aliases; %j lists
properties in a fixed order; in the -d trace a QoS 0 PUBLISH shows m0, and -c
resuming a session this client has no record of first releases every packet
identifier (65,535 PUBRELs); Ctrl-C ends sub at once, without DISCONNECT.

See https://mosquitto.org/ for the flags' full documentation.
";
