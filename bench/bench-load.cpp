// bench-load: the load generator of the benchmark harness (docs/benchmarks.md).
//
// It speaks the protocols itself, as cheaply as it can, so that it is not what limits the numbers:
// one thread, epoll, non-blocking sockets, its own HTTP/1.1 upgrade and long-polling requests,
// WebSocket framing (client frames masked with a zero key, so the payload is sent unchanged) and
// Engine.IO / Socket.IO text framing written by hand. No Qt, no socket.io client library.
//
//   bench-load <scenario> --port N [--server-pid PID] [--label NAME] [sizes...]
//   scenarios: connect, fanout, echo, polling, binary, verify
//
// Every measured case prints one JSON line on stdout:
//   {"label":"ours","case":"fanout-burst","params":"...","metrics":{...}}
// with the server's CPU time per operation (utime+stime of --server-pid from /proc, when given)
// and the load generator's own CPU share (getrusage) over the same interval.
// "verify" checks the replies of a bench server (echo, join/leave, broadcast, binary, polling)
// and exits non-zero on the first mismatch; the scenarios exit non-zero when a message is lost.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

// ---------------------------------------------------------------------------------------------
// options

struct Options
{
    std::string scenario;
    std::string host = "127.0.0.1";
    int port = 3000;
    int serverPid = 0;
    std::string label = "server";
    // connect
    int conns = 10000;
    int concurrency = 100;
    double idle = 0;   // seconds the connections then stay open and idle (heartbeats only), measured
    // fanout / polling / binary
    int subs = 1000;
    int burst = 200;
    std::vector<int> rates{20000, 50000};
    double duration = 5.0;
    int payload = 100;
    int pollSubs = 200;
    int pollMsgs = 200;
    int binSubs = 20;
    int binMsgs = 100;
    int binSize = 65536;
    int window = 8;
    bool checkContent = false;   // check every byte of binary deliveries (costs load generator CPU)
    // echo
    int clients = 50;
    int echoRate = 5000;
    double timeout = 60.0;   // upper bound for any one phase, seconds
};

Options opt;

[[noreturn]] void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "bench-load: ");
    std::vfprintf(stderr, fmt, ap);
    std::fprintf(stderr, "\n");
    va_end(ap);
    std::exit(1);
}

int64_t nowNs()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// ---------------------------------------------------------------------------------------------
// measurements: server CPU and RSS from /proc, our own CPU from getrusage

double serverCpuSeconds()
{
    if (opt.serverPid <= 0)
        return 0;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", opt.serverPid);
    FILE *f = std::fopen(path, "r");
    if (!f)
        die("cannot read %s", path);
    char buf[2048];
    const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = 0;
    // the command name may contain spaces: fields are counted after its closing parenthesis
    const char *p = std::strrchr(buf, ')');
    if (!p)
        die("malformed %s", path);
    p += 2;   // field 3 (state)
    unsigned long long utime = 0, stime = 0;
    for (int field = 3; field <= 15; ++field) {
        if (field == 14)
            utime = std::strtoull(p, nullptr, 10);
        if (field == 15)
            stime = std::strtoull(p, nullptr, 10);
        p = std::strchr(p, ' ');
        if (!p)
            break;
        ++p;
    }
    return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

long serverRssKb()
{
    if (opt.serverPid <= 0)
        return 0;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/status", opt.serverPid);
    FILE *f = std::fopen(path, "r");
    if (!f)
        die("cannot read %s", path);
    char line[256];
    long kb = 0;
    while (std::fgets(line, sizeof line, f)) {
        if (std::strncmp(line, "VmRSS:", 6) == 0)
            kb = std::strtol(line + 6, nullptr, 10);
    }
    std::fclose(f);
    return kb;
}

double selfCpuSeconds()
{
    rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// One measured interval: wall time, server CPU, load generator CPU.
struct Interval
{
    int64_t t0 = 0, t1 = 0;
    double srv0 = 0, srv1 = 0, self0 = 0, self1 = 0;
    void start()
    {
        srv0 = serverCpuSeconds();
        self0 = selfCpuSeconds();
        t0 = nowNs();
    }
    void stop()
    {
        t1 = nowNs();
        srv1 = serverCpuSeconds();
        self1 = selfCpuSeconds();
    }
    double wall() const { return double(t1 - t0) / 1e9; }
    double serverCpu() const { return srv1 - srv0; }
    double loadShare() const { return wall() > 0 ? (self1 - self0) / wall() : 0; }
};

double percentileMs(std::vector<int64_t> &v, double p)
{
    if (v.empty())
        return 0;
    const size_t k = std::min(v.size() - 1, size_t(p / 100.0 * double(v.size())));
    std::nth_element(v.begin(), v.begin() + long(k), v.end());
    return double(v[k]) / 1e6;
}

// Collects the metrics of one case and prints them as one JSON line.
struct Result
{
    std::string name, params;
    std::vector<std::pair<std::string, double>> metrics;
    void add(const std::string &key, double value) { metrics.emplace_back(key, value); }
    void addInterval(const Interval &iv, double ops, const char *perOpName)
    {
        add("wall_s", iv.wall());
        if (opt.serverPid > 0)
            add(perOpName, ops > 0 ? iv.serverCpu() * 1e6 / ops : 0);
        add("server_cpu_pct", iv.wall() > 0 ? 100.0 * iv.serverCpu() / iv.wall() : 0);
        add("load_cpu_pct", 100.0 * iv.loadShare());
    }
    void print() const
    {
        std::printf("{\"label\":\"%s\",\"case\":\"%s\",\"params\":\"%s\",\"metrics\":{", opt.label.c_str(),
                    name.c_str(), params.c_str());
        for (size_t i = 0; i < metrics.size(); ++i)
            std::printf("%s\"%s\":%.6g", i ? "," : "", metrics[i].first.c_str(), metrics[i].second);
        std::printf("}}\n");
        std::fflush(stdout);
    }
};

// ---------------------------------------------------------------------------------------------
// wire helpers

void appendWsFrame(std::string &out, int opcode, const char *data, size_t len)
{
    unsigned char h[14];
    size_t n = 0;
    h[n++] = uint8_t(0x80 | opcode);
    if (len < 126) {
        h[n++] = uint8_t(0x80 | len);
    } else if (len < 65536) {
        h[n++] = 0x80 | 126;
        h[n++] = uint8_t(len >> 8);
        h[n++] = uint8_t(len);
    } else {
        h[n++] = 0x80 | 127;
        for (int i = 7; i >= 0; --i)
            h[n++] = uint8_t(uint64_t(len) >> (8 * i));
    }
    // a zero masking key: the client must mask (RFC 6455 5.3), XOR with zero keeps the payload
    h[n++] = 0;
    h[n++] = 0;
    h[n++] = 0;
    h[n++] = 0;
    out.append(reinterpret_cast<const char *>(h), n);
    out.append(data, len);
}

// Parses one server frame at p; returns the bytes it spans, 0 when incomplete.
size_t parseWsFrame(const char *p, size_t n, bool &fin, int &opcode, const char *&payload, size_t &len,
                    std::string &scratch)
{
    if (n < 2)
        return 0;
    const auto b0 = uint8_t(p[0]), b1 = uint8_t(p[1]);
    fin = b0 & 0x80;
    opcode = b0 & 0x0f;
    const bool masked = b1 & 0x80;
    uint64_t l = b1 & 0x7f;
    size_t pos = 2;
    if (l == 126) {
        if (n < 4)
            return 0;
        l = (uint64_t(uint8_t(p[2])) << 8) | uint8_t(p[3]);
        pos = 4;
    } else if (l == 127) {
        if (n < 10)
            return 0;
        l = 0;
        for (int i = 0; i < 8; ++i)
            l = (l << 8) | uint8_t(p[2 + i]);
        pos = 10;
    }
    const size_t maskPos = pos;
    if (masked)
        pos += 4;
    if (n < pos + l)
        return 0;
    if (masked) {   // servers must not mask, but be lenient
        scratch.assign(p + pos, l);
        for (size_t i = 0; i < l; ++i)
            scratch[i] = char(scratch[i] ^ p[maskPos + (i & 3)]);
        payload = scratch.data();
    } else {
        payload = p + pos;
    }
    len = size_t(l);
    return pos + size_t(l);
}

// The value of the first "key":<integer> in s, or -1.
int64_t findInt(std::string_view s, std::string_view key)
{
    const size_t at = s.find(key);
    if (at == std::string_view::npos)
        return -1;
    int64_t v = 0;
    size_t i = at + key.size();
    if (i >= s.size() || s[i] < '0' || s[i] > '9')
        return -1;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
        v = v * 10 + (s[i] - '0');
    return v;
}

std::string base64(std::string_view in)
{
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += table[v & 63];
    }
    if (i + 1 == in.size()) {
        const uint32_t v = uint32_t(uint8_t(in[i])) << 16;
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        const uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
        out += table[v >> 18];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

// A payload of exactly size bytes: {"t":<ns>,"seq":<n>,"pad":"xxx..."}.
std::string jsonPayload(int64_t t, int64_t seq, int size)
{
    char head[96];
    const int n = std::snprintf(head, sizeof head, "{\"t\":%" PRId64 ",\"seq\":%" PRId64 ",\"pad\":\"", t, seq);
    std::string s(head, size_t(n));
    const int pad = std::max(0, size - n - 2);
    s.append(size_t(pad), 'x');
    s += "\"}";
    return s;
}

// Binary payload: t and seq (little endian) then a pattern that depends on seq.
std::string binaryPayload(int64_t t, int64_t seq, int size)
{
    std::string s(size_t(std::max(size, 16)), '\0');
    std::memcpy(&s[0], &t, 8);
    std::memcpy(&s[8], &seq, 8);
    for (size_t i = 16; i < s.size(); ++i)
        s[i] = char((i * 31 + size_t(seq)) & 0xff);
    return s;
}

bool binaryPatternOk(std::string_view s)
{
    if (s.size() < 16)
        return false;
    int64_t seq;
    std::memcpy(&seq, s.data() + 8, 8);
    for (size_t i = 16; i < s.size(); ++i)
        if (s[i] != char((i * 31 + size_t(seq)) & 0xff))
            return false;
    return true;
}

int connectSocket(bool blocking)
{
    const int fd = socket(AF_INET, SOCK_STREAM | (blocking ? 0 : SOCK_NONBLOCK) | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", std::strerror(errno));
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(opt.port));
    if (inet_pton(AF_INET, opt.host.c_str(), &addr.sin_addr) != 1)
        die("--host must be an IPv4 address: %s", opt.host.c_str());
    if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0 && errno != EINPROGRESS)
        die("connect to %s:%d: %s", opt.host.c_str(), opt.port, std::strerror(errno));
    return fd;
}

// Abortive close: no TIME_WAIT left behind, so repeated runs do not exhaust the ephemeral ports.
void closeHard(int fd)
{
    const linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
}

std::string wsUpgradeRequest()
{
    return "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + opt.host + ":" + std::to_string(opt.port) +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n";
}

std::string pollingRequest(const std::string &sid, const std::string *body)
{
    std::string r = body ? "POST" : "GET";
    r += " /socket.io/?EIO=4&transport=polling";
    if (!sid.empty())
        r += "&sid=" + sid;
    r += " HTTP/1.1\r\nHost: " + opt.host + ":" + std::to_string(opt.port) + "\r\n";
    if (body) {
        r += "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: " + std::to_string(body->size()) + "\r\n\r\n";
        r += *body;
    } else {
        r += "\r\n";
    }
    return r;
}

// Parses an HTTP response head at the start of buf: status, head length and Content-Length
// (-1 if absent). False when the head is incomplete.
bool parseHttpHead(std::string_view buf, int &status, size_t &headLen, long &contentLength)
{
    const size_t end = buf.find("\r\n\r\n");
    if (end == std::string_view::npos)
        return false;
    headLen = end + 4;
    status = 0;
    if (buf.size() > 12 && buf.substr(0, 5) == "HTTP/")
        status = std::atoi(std::string(buf.substr(9, 3)).c_str());
    contentLength = -1;
    const std::string_view head = buf.substr(0, end);
    size_t pos = 0;
    while (pos < head.size()) {
        size_t eol = head.find("\r\n", pos);
        if (eol == std::string_view::npos)
            eol = head.size();
        const std::string_view line = head.substr(pos, eol - pos);
        if (line.size() > 15 && strncasecmp(line.data(), "content-length:", 15) == 0)
            contentLength = std::atol(std::string(line.substr(15)).c_str());
        pos = eol + 2;
    }
    return true;
}

std::string extractSid(std::string_view body)
{
    const size_t at = body.find("\"sid\":\"");
    if (at == std::string_view::npos)
        return {};
    const size_t start = at + 7;
    const size_t end = body.find('"', start);
    return std::string(body.substr(start, end - start));
}

// ---------------------------------------------------------------------------------------------
// the event loop: WebSocket clients and long-polling clients

struct Conn;
struct PollingClient;

struct Handler
{
    virtual ~Handler() = default;
    virtual void onConnected(Conn &) {}
    virtual void onPacket(Conn &, std::string_view) {}     // a Socket.IO text packet
    virtual void onBinary(Conn &, std::string_view) {}     // one binary attachment
    virtual void onClosed(Conn &) {}
};

struct Conn
{
    enum class Kind { Ws, PollGet, PollPost } kind = Kind::Ws;
    enum class State { Connecting, Handshaking, Open, Closed } state = State::Connecting;
    int fd = -1;
    int id = 0;
    Handler *handler = nullptr;
    PollingClient *polling = nullptr;   // for PollGet / PollPost; the GET conn stands for the client
    bool sioConnected = false;
    bool wantWrite = false;
    bool dirty = false;
    std::string in;
    std::string out;
    size_t outPos = 0;
    std::string frag;
    int fragOpcode = 0;
    int64_t t0 = 0;              // connect start
    int64_t tConnected = 0;      // Socket.IO CONNECT reply received
    // per-client scenario state
    int64_t nextAckId = 0;
    int64_t received = 0;
    int pendingAttachments = 0;
};

struct PollingClient
{
    Conn *get = nullptr;
    Conn *post = nullptr;
    std::string sid;
    std::string queue;   // packets waiting for the next POST, separated by \x1e
    bool postInFlight = false;
};

class Loop
{
public:
    Loop()
    {
        m_ep = epoll_create1(EPOLL_CLOEXEC);
        if (m_ep < 0)
            die("epoll_create1: %s", std::strerror(errno));
    }
    ~Loop()
    {
        for (Conn *c : m_conns) {
            if (c->fd >= 0)
                closeHard(c->fd);
            delete c;
        }
        for (PollingClient *p : m_polling)
            delete p;
        ::close(m_ep);
    }

    int closedUnexpectedly = 0;
    std::string lastError;

    Conn *openWs(Handler *h, int id)
    {
        Conn *c = newConn(h, id, Conn::Kind::Ws);
        c->out = wsUpgradeRequest();
        return c;
    }

    PollingClient *openPolling(Handler *h, int id)
    {
        auto *p = new PollingClient;
        m_polling.push_back(p);
        p->get = newConn(h, id, Conn::Kind::PollGet);
        p->get->polling = p;
        p->get->out = pollingRequest({}, nullptr);
        return p;
    }

    // Sends one Socket.IO packet (text after the Engine.IO "4").
    void sendSio(Conn &c, std::string_view packet)
    {
        if (c.kind == Conn::Kind::Ws) {
            std::string msg;
            msg.reserve(packet.size() + 1);
            msg += '4';
            msg.append(packet);
            sendWs(c, 1, msg);
        } else {
            queuePost(*c.polling, "4" + std::string(packet));
        }
    }

    void sendWs(Conn &c, int opcode, std::string_view data)
    {
        appendWsFrame(c.out, opcode, data.data(), data.size());
        markDirty(c);
    }

    void closeConn(Conn &c)
    {
        if (c.fd >= 0) {
            epoll_ctl(m_ep, EPOLL_CTL_DEL, c.fd, nullptr);
            closeHard(c.fd);
            c.fd = -1;
        }
        c.state = Conn::State::Closed;
    }

    void closeAll()
    {
        for (Conn *c : m_conns)
            closeConn(*c);
    }

    // Runs until done() or the deadline; tick(now) sends what is due and returns when it wants
    // to be called next (INT64_MAX: only after events).
    bool run(const std::function<bool()> &done, int64_t deadline,
             const std::function<int64_t(int64_t)> &tick = nullptr)
    {
        epoll_event events[256];
        for (;;) {
            int64_t now = nowNs();
            int64_t wake = deadline;
            if (tick)
                wake = std::min(wake, tick(now));
            flush();
            if (done())
                return true;
            now = nowNs();
            if (now >= deadline)
                return false;
            const int64_t waitNs = std::max<int64_t>(0, wake - now);
            timespec ts{time_t(waitNs / 1000000000), long(waitNs % 1000000000)};
            const int n = epoll_pwait2(m_ep, events, 256, &ts, nullptr);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                die("epoll_pwait2: %s", std::strerror(errno));
            }
            for (int i = 0; i < n; ++i)
                handle(*static_cast<Conn *>(events[i].data.ptr), events[i].events);
        }
    }

private:
    Conn *newConn(Handler *h, int id, Conn::Kind kind)
    {
        auto *c = new Conn;
        c->kind = kind;
        c->handler = h;
        c->id = id;
        c->t0 = nowNs();
        c->fd = connectSocket(false);
        m_conns.push_back(c);
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.ptr = c;
        c->wantWrite = true;
        if (epoll_ctl(m_ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
            die("epoll_ctl: %s", std::strerror(errno));
        return c;
    }

    void markDirty(Conn &c)
    {
        if (!c.dirty && c.state != Conn::State::Connecting) {
            c.dirty = true;
            m_dirty.push_back(&c);
        }
    }

    void setWantWrite(Conn &c, bool want)
    {
        if (c.wantWrite == want || c.fd < 0)
            return;
        c.wantWrite = want;
        epoll_event ev{};
        ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
        ev.data.ptr = &c;
        epoll_ctl(m_ep, EPOLL_CTL_MOD, c.fd, &ev);
    }

    void flush()
    {
        for (size_t i = 0; i < m_dirty.size(); ++i) {
            Conn &c = *m_dirty[i];
            c.dirty = false;
            writeOut(c);
        }
        m_dirty.clear();
    }

    void writeOut(Conn &c)
    {
        if (c.fd < 0)
            return;
        while (c.outPos < c.out.size()) {
            const ssize_t w = ::send(c.fd, c.out.data() + c.outPos, c.out.size() - c.outPos, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    setWantWrite(c, true);
                    return;
                }
                if (errno == EINTR)
                    continue;
                fail(c, std::string("send: ") + std::strerror(errno));
                return;
            }
            c.outPos += size_t(w);
        }
        c.out.clear();
        c.outPos = 0;
        setWantWrite(c, false);
    }

    void fail(Conn &c, const std::string &why)
    {
        if (c.state == Conn::State::Closed)
            return;
        lastError = why;
        ++closedUnexpectedly;
        closeConn(c);
        if (c.handler)
            c.handler->onClosed(c);
    }

    void handle(Conn &c, uint32_t events)
    {
        if (c.fd < 0)
            return;
        if (c.state == Conn::State::Connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err) {
                fail(c, std::string("connect: ") + std::strerror(err));
                return;
            }
            c.state = Conn::State::Handshaking;
            writeOut(c);
        } else if (events & EPOLLOUT) {
            writeOut(c);
        }
        if (c.fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
            readIn(c);
    }

    void readIn(Conn &c)
    {
        char buf[65536];
        for (;;) {
            const ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
            if (r > 0) {
                c.in.append(buf, size_t(r));
                if (size_t(r) < sizeof buf)
                    break;
                continue;
            }
            if (r == 0) {
                parse(c);
                fail(c, "connection closed by the server");
                return;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            fail(c, std::string("recv: ") + std::strerror(errno));
            return;
        }
        parse(c);
    }

    void parse(Conn &c)
    {
        size_t pos = 0;
        if (c.kind == Conn::Kind::Ws) {
            if (c.state == Conn::State::Handshaking) {
                int status;
                size_t headLen;
                long contentLength;
                if (!parseHttpHead(c.in, status, headLen, contentLength))
                    return;
                if (status != 101) {
                    fail(c, "WebSocket upgrade refused with HTTP " + std::to_string(status));
                    return;
                }
                c.state = Conn::State::Open;
                pos = headLen;
            }
            std::string scratch;
            while (c.fd >= 0 && pos < c.in.size()) {
                bool fin;
                int opcode;
                const char *payload;
                size_t len;
                const size_t used = parseWsFrame(c.in.data() + pos, c.in.size() - pos, fin, opcode, payload, len, scratch);
                if (!used)
                    break;
                pos += used;
                if (opcode == 8) {
                    fail(c, "WebSocket closed by the server");
                    return;
                }
                if (opcode == 9) {
                    sendWs(c, 10, std::string_view(payload, len));
                    continue;
                }
                if (opcode == 10)
                    continue;
                if (opcode == 0 || !fin) {   // fragmented message
                    if (opcode != 0)
                        c.fragOpcode = opcode;
                    c.frag.append(payload, len);
                    if (!fin)
                        continue;
                    const std::string whole = std::move(c.frag);
                    c.frag.clear();
                    wsMessage(c, c.fragOpcode, whole);
                } else {
                    wsMessage(c, opcode, std::string_view(payload, len));
                }
            }
        } else {
            while (c.fd >= 0) {
                int status;
                size_t headLen;
                long contentLength;
                const std::string_view rest = std::string_view(c.in).substr(pos);
                if (!parseHttpHead(rest, status, headLen, contentLength))
                    break;
                if (contentLength < 0) {
                    fail(c, "polling response without Content-Length");
                    return;
                }
                if (rest.size() < headLen + size_t(contentLength))
                    break;
                const std::string body(rest.substr(headLen, size_t(contentLength)));
                pos += headLen + size_t(contentLength);
                if (status != 200) {
                    fail(c, "polling request answered with HTTP " + std::to_string(status) + ": " + body);
                    return;
                }
                pollingResponse(c, body);
            }
        }
        if (c.fd >= 0)
            c.in.erase(0, pos);
    }

    void wsMessage(Conn &c, int opcode, std::string_view msg)
    {
        if (opcode == 2) {
            c.handler->onBinary(c, msg);
            return;
        }
        engineText(c, msg);
    }

    // One Engine.IO text packet.
    void engineText(Conn &c, std::string_view msg)
    {
        if (msg.empty())
            return;
        switch (msg[0]) {
        case '0':
            sendSio(c, "0");
            break;
        case '2':
            if (c.kind == Conn::Kind::Ws)
                sendWs(c, 1, "3");
            else
                queuePost(*c.polling, "3");
            break;
        case '1':
            fail(c, "Engine.IO close packet");
            break;
        case '4':
            msg.remove_prefix(1);
            if (!msg.empty() && msg[0] == '0') {
                c.sioConnected = true;
                c.tConnected = nowNs();
                c.handler->onConnected(c);
            } else if (!msg.empty() && msg[0] == '4') {
                fail(c, "connect_error: " + std::string(msg));
            } else {
                c.handler->onPacket(c, msg);
            }
            break;
        default:
            break;   // noop, pong
        }
    }

    void queuePost(PollingClient &p, const std::string &packet)
    {
        if (!p.queue.empty())
            p.queue += '\x1e';
        p.queue += packet;
        maybePost(p);
    }

    void maybePost(PollingClient &p)
    {
        if (p.postInFlight || p.queue.empty() || p.sid.empty())
            return;
        if (!p.post) {
            p.post = newConn(p.get->handler, p.get->id, Conn::Kind::PollPost);
            p.post->polling = &p;
        }
        p.post->out += pollingRequest(p.sid, &p.queue);
        p.queue.clear();
        p.postInFlight = true;
        markDirty(*p.post);
    }

    void sendGet(PollingClient &p)
    {
        p.get->out += pollingRequest(p.sid, nullptr);
        markDirty(*p.get);
    }

    void pollingResponse(Conn &c, const std::string &body)
    {
        PollingClient &p = *c.polling;
        if (c.kind == Conn::Kind::PollPost) {
            p.postInFlight = false;
            maybePost(p);
            return;
        }
        if (p.sid.empty()) {
            p.sid = extractSid(body);
            if (p.sid.empty()) {
                fail(c, "no sid in the polling handshake: " + body);
                return;
            }
            queuePost(p, "40");
            sendGet(p);
            return;
        }
        size_t start = 0;
        while (start <= body.size() && c.fd >= 0) {
            size_t end = body.find('\x1e', start);
            if (end == std::string::npos)
                end = body.size();
            const std::string_view packet(body.data() + start, end - start);
            if (!packet.empty() && packet[0] == 'b')
                p.get->handler->onBinary(*p.get, packet);   // base64, left to the handler
            else
                engineText(*p.get, packet);
            start = end + 1;
        }
        if (c.fd >= 0)
            sendGet(p);
    }

    int m_ep = -1;
    std::vector<Conn *> m_conns;
    std::vector<PollingClient *> m_polling;
    std::vector<Conn *> m_dirty;
};

int64_t deadlineIn(double seconds)
{
    return nowNs() + int64_t(seconds * 1e9);
}

std::string paramsString(const std::vector<std::pair<const char *, std::string>> &kv)
{
    std::string s;
    for (const auto &[k, v] : kv) {
        if (!s.empty())
            s += ' ';
        s += k;
        s += '=';
        s += v;
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// scenario: connect

struct CountingHandler : Handler
{
    int connected = 0;
    int closed = 0;
    std::vector<int64_t> latencies;
    void onConnected(Conn &c) override
    {
        ++connected;
        latencies.push_back(c.tConnected - c.t0);
    }
    void onClosed(Conn &) override { ++closed; }
};

int scenarioConnect()
{
    Loop loop;
    CountingHandler h;
    // warm-up: a few connections (JIT, allocator pools), not measured
    const int warm = std::min(200, std::max(10, opt.conns / 20));
    {
        Loop warmLoop;
        CountingHandler wh;
        for (int i = 0; i < warm; ++i)
            warmLoop.openWs(&wh, i);
        if (!warmLoop.run([&] { return wh.connected + wh.closed >= warm; }, deadlineIn(opt.timeout)))
            die("connect warm-up timed out (%d of %d)", wh.connected, warm);
        warmLoop.closeAll();
    }
    Loop settle;
    settle.run([] { return false; }, deadlineIn(1.0));   // let the server release the warm-up
    const long rss0 = serverRssKb();

    Interval iv;
    iv.start();
    int opened = 0;
    while (opened < std::min(opt.concurrency, opt.conns))
        loop.openWs(&h, opened++);
    const bool ok = loop.run(
            [&] {
                while (opened < opt.conns && opened - h.connected - h.closed < opt.concurrency)
                    loop.openWs(&h, opened++);
                return h.connected + h.closed >= opt.conns;
            },
            deadlineIn(opt.timeout));
    iv.stop();
    if (!ok || h.closed)
        die("connect: %d of %d connected, %d failed (%s)", h.connected, opt.conns, h.closed, loop.lastError.c_str());
    // idle for a moment, answering what comes, then read the resident memory
    loop.run([] { return false; }, deadlineIn(1.0));
    const long rss1 = serverRssKb();

    Result r;
    r.name = "connect";
    r.params = paramsString({{"conns", std::to_string(opt.conns)}, {"concurrency", std::to_string(opt.concurrency)}});
    r.add("conn_per_s", opt.conns / iv.wall());
    r.add("handshake_p50_ms", percentileMs(h.latencies, 50));
    r.add("handshake_p99_ms", percentileMs(h.latencies, 99));
    r.addInterval(iv, opt.conns, "server_cpu_us_per_conn");
    if (opt.serverPid > 0) {
        r.add("rss_kb_per_conn", double(rss1 - rss0) / opt.conns);
        r.add("rss_mb_total", double(rss1) / 1024.0);
    }
    if (opt.idle > 0) {
        // The connections sit idle, answering the server's pings: what an idle server costs per
        // connection (its heartbeats and, per event-loop pass, its dispatcher).
        Interval idle;
        idle.start();
        loop.run([] { return false; }, deadlineIn(opt.idle));
        idle.stop();
        r.add("idle_s", idle.wall());
        if (opt.serverPid > 0) {
            r.add("idle_server_cpu_pct", idle.wall() > 0 ? 100.0 * idle.serverCpu() / idle.wall() : 0);
            r.add("idle_server_cpu_us_per_conn_s",
                  idle.wall() > 0 ? idle.serverCpu() * 1e6 / idle.wall() / opt.conns : 0);
        }
    }
    r.add("lost", opt.conns - h.connected + h.closed);   // a connection closed while idle is lost too
    r.print();
    return 0;
}

// ---------------------------------------------------------------------------------------------
// fan-out: subscribers join a room, one publisher broadcasts

struct FanoutHandler : Handler
{
    Loop *loop = nullptr;
    int connected = 0, joined = 0, closed = 0;
    int64_t deliveries = 0;
    int64_t bytes = 0;
    int64_t badPayload = 0;
    bool recordLatency = false;
    std::vector<int64_t> latencies;
    int binarySize = 0;   // > 0: expect binary attachments of that size
    bool join = true;

    void onConnected(Conn &c) override
    {
        ++connected;
        if (join && c.id >= 0)
            loop->sendSio(c, "21[\"join\",\"bench\"]");
    }
    void onPacket(Conn &c, std::string_view p) override
    {
        if (p.size() > 1 && p[0] == '3') {   // join ack: 31[{"ok":true}]
            if (p.find("{\"ok\":true}") != std::string_view::npos && c.id >= 0)
                ++joined;
            return;
        }
        if (p.size() > 1 && p[0] == '5') {   // 51-["broadcast",{"_placeholder":true,"num":0}]
            c.pendingAttachments = 1;
            return;
        }
        if (p.size() > 1 && p[0] == '2') {
            const int64_t t = findInt(p, "\"t\":");
            if (t < 0) {
                ++badPayload;
                return;
            }
            ++deliveries;
            ++c.received;
            if (recordLatency)
                latencies.push_back(nowNs() - t);
        }
    }
    void onBinary(Conn &c, std::string_view b) override
    {
        if (c.pendingAttachments <= 0 || int(b.size()) != binarySize || (opt.checkContent && !binaryPatternOk(b))) {
            ++badPayload;
            return;
        }
        c.pendingAttachments = 0;
        int64_t t;
        std::memcpy(&t, b.data(), 8);
        ++deliveries;
        ++c.received;
        bytes += int64_t(b.size());
        if (recordLatency)
            latencies.push_back(nowNs() - t);
    }
    void onClosed(Conn &) override { ++closed; }
};

struct Room
{
    Loop loop;
    FanoutHandler h;
    Conn *publisher = nullptr;
    int subs = 0;
    int64_t seq = 0;

    void setUp(int n, bool polling)
    {
        subs = n;
        h.loop = &loop;
        publisher = loop.openWs(&h, -1);   // id -1: does not join
        // at most --concurrency handshakes at a time, as in the connect scenario
        int opened = 0;
        if (!loop.run(
                    [&] {
                        while (opened < n && opened - h.connected + 1 < opt.concurrency) {
                            if (polling)
                                loop.openPolling(&h, opened++);
                            else
                                loop.openWs(&h, opened++);
                        }
                        return (h.connected >= n + 1 && h.joined >= n) || h.closed;
                    },
                    deadlineIn(opt.timeout)))
            die("fan-out set-up timed out: %d connected, %d joined", h.connected, h.joined);
        if (h.closed)
            die("fan-out set-up: a connection failed (%s)", loop.lastError.c_str());
    }

    void publish(int payloadSize)
    {
        const std::string body = jsonPayload(nowNs(), seq++, payloadSize);
        loop.sendSio(*publisher, "2[\"broadcast\",\"bench\"," + body + "]");
    }

    void publishBinary(int size)
    {
        loop.sendSio(*publisher, "51-[\"broadcast\",\"bench\",{\"_placeholder\":true,\"num\":0}]");
        loop.sendWs(*publisher, 2, binaryPayload(nowNs(), seq++, size));
    }

    // Waits until every message sent so far reached every subscriber (or no progress for 3 s).
    bool drain()
    {
        int64_t last = h.deliveries;
        int64_t lastProgress = nowNs();
        const int64_t end = deadlineIn(opt.timeout);
        return loop.run(
                [&] {
                    if (h.deliveries != last) {
                        last = h.deliveries;
                        lastProgress = nowNs();
                    }
                    return h.deliveries >= seq * subs || h.closed || nowNs() - lastProgress > 3000000000LL;
                },
                end, [&](int64_t now) { return now + 100000000; })
               && h.deliveries >= seq * subs;
    }
};

int scenarioFanout()
{
    Room room;
    room.setUp(opt.subs, false);
    // warm-up
    for (int i = 0; i < 20; ++i)
        room.publish(opt.payload);
    if (!room.drain())
        die("fan-out warm-up: %" PRId64 " of %" PRId64 " delivered", room.h.deliveries, room.seq * opt.subs);

    int failures = 0;
    {   // burst: everything at once, time until the last delivery
        const int64_t before = room.h.deliveries;
        const int64_t seqBefore = room.seq;
        Interval iv;
        iv.start();
        for (int i = 0; i < opt.burst; ++i)
            room.publish(opt.payload);
        room.drain();
        iv.stop();
        const int64_t got = room.h.deliveries - before;
        const int64_t expected = (room.seq - seqBefore) * opt.subs;
        Result r;
        r.name = "fanout-burst";
        r.params = paramsString({{"subs", std::to_string(opt.subs)}, {"msgs", std::to_string(opt.burst)},
                                 {"payload", std::to_string(opt.payload)}});
        r.add("deliveries_per_s", double(got) / iv.wall());
        r.addInterval(iv, double(got), "server_cpu_us_per_delivery");
        r.add("lost", double(expected - got));
        r.print();
        failures += expected != got;
    }
    for (const int rate : opt.rates) {   // fixed delivery rate: latency
        const int64_t before = room.h.deliveries;
        const int64_t seqBefore = room.seq;
        room.h.latencies.clear();
        room.h.recordLatency = true;
        const double msgsPerSec = double(rate) / opt.subs;
        const int total = std::max(1, int(msgsPerSec * opt.duration));
        const int64_t interval = int64_t(1e9 / msgsPerSec);
        Interval iv;
        iv.start();
        int sent = 0;
        const int64_t start = nowNs();
        room.loop.run([&] { return sent >= total || room.h.closed; }, deadlineIn(opt.duration + opt.timeout),
                      [&](int64_t now) {
                          while (sent < total && start + sent * interval <= now) {
                              room.publish(opt.payload);
                              ++sent;
                          }
                          return start + sent * interval;
                      });
        room.drain();
        iv.stop();
        room.h.recordLatency = false;
        const int64_t got = room.h.deliveries - before;
        const int64_t expected = (room.seq - seqBefore) * opt.subs;
        Result r;
        r.name = "fanout-rate-" + (rate % 1000 ? std::to_string(rate) : std::to_string(rate / 1000) + "k");
        r.params = paramsString({{"subs", std::to_string(opt.subs)}, {"deliveries_per_s", std::to_string(rate)},
                                 {"seconds", std::to_string(opt.duration)}});
        r.add("p50_ms", percentileMs(room.h.latencies, 50));
        r.add("p99_ms", percentileMs(room.h.latencies, 99));
        r.add("achieved_per_s", double(got) / iv.wall());
        r.addInterval(iv, double(got), "server_cpu_us_per_delivery");
        r.add("lost", double(expected - got));
        r.print();
        failures += expected != got;
    }
    return failures ? 1 : 0;
}

// Long-polling subscribers (two HTTP connections each), a WebSocket publisher, windowed sends.
int scenarioPolling()
{
    Room room;
    room.setUp(opt.pollSubs, true);
    for (int i = 0; i < 5; ++i)
        room.publish(opt.payload);
    if (!room.drain())
        die("polling warm-up: %" PRId64 " of %" PRId64 " delivered", room.h.deliveries, room.seq * opt.pollSubs);
    const int64_t before = room.h.deliveries;
    const int64_t seqBefore = room.seq;
    Interval iv;
    iv.start();
    int sent = 0;
    // at most `window` messages ahead of the average subscriber
    room.loop.run([&] { return sent >= opt.pollMsgs || room.h.closed; }, deadlineIn(opt.timeout), [&](int64_t) {
        while (sent < opt.pollMsgs && (room.seq - seqBefore) - (room.h.deliveries - before) / opt.pollSubs < opt.window * 4) {
            room.publish(opt.payload);
            ++sent;
        }
        return INT64_MAX;
    });
    room.drain();
    iv.stop();
    const int64_t got = room.h.deliveries - before;
    const int64_t expected = int64_t(sent) * opt.pollSubs;
    Result r;
    r.name = "polling";
    r.params = paramsString({{"subs", std::to_string(opt.pollSubs)}, {"msgs", std::to_string(opt.pollMsgs)},
                             {"payload", std::to_string(opt.payload)}});
    r.add("deliveries_per_s", double(got) / iv.wall());
    r.addInterval(iv, double(got), "server_cpu_us_per_delivery");
    r.add("lost", double(expected - got));
    r.print();
    return expected == got ? 0 : 1;
}

int scenarioBinary()
{
    Room room;
    room.h.binarySize = std::max(16, opt.binSize);
    room.setUp(opt.binSubs, false);
    for (int i = 0; i < 3; ++i)
        room.publishBinary(room.h.binarySize);
    if (!room.drain())
        die("binary warm-up: %" PRId64 " of %" PRId64 " delivered", room.h.deliveries, room.seq * opt.binSubs);
    const int64_t before = room.h.deliveries;
    const int64_t bytesBefore = room.h.bytes;
    const int64_t seqBefore = room.seq;
    Interval iv;
    iv.start();
    int sent = 0;
    room.loop.run([&] { return sent >= opt.binMsgs || room.h.closed; }, deadlineIn(opt.timeout), [&](int64_t) {
        while (sent < opt.binMsgs && (room.seq - seqBefore) - (room.h.deliveries - before) / opt.binSubs < opt.window) {
            room.publishBinary(room.h.binarySize);
            ++sent;
        }
        return INT64_MAX;
    });
    room.drain();
    iv.stop();
    const int64_t got = room.h.deliveries - before;
    const int64_t expected = int64_t(sent) * opt.binSubs;
    Result r;
    r.name = "binary";
    r.params = paramsString({{"subs", std::to_string(opt.binSubs)}, {"msgs", std::to_string(opt.binMsgs)},
                             {"size", std::to_string(room.h.binarySize)}});
    r.add("deliveries_per_s", double(got) / iv.wall());
    r.add("mb_per_s", double(room.h.bytes - bytesBefore) / iv.wall() / 1e6);
    r.addInterval(iv, double(got), "server_cpu_us_per_delivery");
    r.add("lost", double(expected - got) + double(room.h.badPayload));
    r.print();
    return expected == got && room.h.badPayload == 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// echo: request/ack, closed loop and fixed rate

struct EchoHandler : Handler
{
    Loop *loop = nullptr;
    int connected = 0, closed = 0;
    int64_t acks = 0, sent = 0, bad = 0;
    bool closedLoop = false;
    bool recordLatency = false;
    std::vector<int64_t> latencies;

    void sendEcho(Conn &c)
    {
        const int64_t id = c.nextAckId++;
        loop->sendSio(c, "2" + std::to_string(id) + "[\"echo\"," + jsonPayload(nowNs(), id, opt.payload) + "]");
        ++sent;
    }
    void onConnected(Conn &) override { ++connected; }
    void onPacket(Conn &c, std::string_view p) override
    {
        if (p.empty() || p[0] != '3') {
            ++bad;
            return;
        }
        const int64_t t = findInt(p, "\"t\":");
        if (t < 0) {
            ++bad;
            return;
        }
        ++acks;
        if (recordLatency)
            latencies.push_back(nowNs() - t);
        if (closedLoop)
            sendEcho(c);
    }
    void onClosed(Conn &) override { ++closed; }
};

int scenarioEcho()
{
    Loop loop;
    EchoHandler h;
    h.loop = &loop;
    std::vector<Conn *> clients;
    for (int i = 0; i < opt.clients; ++i)
        clients.push_back(loop.openWs(&h, i));
    if (!loop.run([&] { return h.connected >= opt.clients || h.closed; }, deadlineIn(opt.timeout)) || h.closed)
        die("echo set-up failed: %d connected (%s)", h.connected, loop.lastError.c_str());

    auto drain = [&] {
        int64_t last = h.acks;
        int64_t lastProgress = nowNs();
        loop.run(
                [&] {
                    if (h.acks != last) {
                        last = h.acks;
                        lastProgress = nowNs();
                    }
                    return h.acks >= h.sent || h.closed || nowNs() - lastProgress > 3000000000LL;
                },
                deadlineIn(opt.timeout), [](int64_t now) { return now + 100000000; });
    };
    auto closedLoop = [&](double seconds, bool measure) {
        h.latencies.clear();
        h.recordLatency = measure;
        const int64_t acks0 = h.acks, sent0 = h.sent;
        Interval iv;
        iv.start();
        h.closedLoop = true;
        for (Conn *c : clients)
            h.sendEcho(*c);
        loop.run([&] { return h.closed > 0; }, deadlineIn(seconds));
        h.closedLoop = false;
        drain();
        iv.stop();
        h.recordLatency = false;
        if (!measure)
            return 0;
        const int64_t acks = h.acks - acks0;
        Result r;
        r.name = "echo-closed";
        r.params = paramsString({{"clients", std::to_string(opt.clients)}, {"seconds", std::to_string(opt.duration)},
                                 {"payload", std::to_string(opt.payload)}});
        r.add("acks_per_s", double(acks) / iv.wall());
        r.add("p50_ms", percentileMs(h.latencies, 50));
        r.add("p99_ms", percentileMs(h.latencies, 99));
        r.addInterval(iv, double(acks), "server_cpu_us_per_ack");
        r.add("lost", double((h.sent - sent0) - acks + h.bad));
        r.print();
        return (h.sent - sent0) != acks || h.bad ? 1 : 0;
    };
    closedLoop(std::min(1.0, opt.duration), false);   // warm-up
    int failures = closedLoop(opt.duration, true);

    {   // fixed rate, spread round-robin over the clients
        h.latencies.clear();
        h.recordLatency = true;
        const int64_t acks0 = h.acks, sent0 = h.sent;
        const int total = std::max(1, int(opt.echoRate * opt.duration));
        const int64_t interval = int64_t(1e9 / opt.echoRate);
        int n = 0;
        Interval iv;
        iv.start();
        const int64_t start = nowNs();
        loop.run([&] { return n >= total || h.closed; }, deadlineIn(opt.duration + opt.timeout), [&](int64_t now) {
            while (n < total && start + n * interval <= now) {
                h.sendEcho(*clients[size_t(n) % clients.size()]);
                ++n;
            }
            return start + n * interval;
        });
        drain();
        iv.stop();
        h.recordLatency = false;
        const int64_t acks = h.acks - acks0;
        Result r;
        r.name = "echo-rate-" + (opt.echoRate % 1000 ? std::to_string(opt.echoRate) : std::to_string(opt.echoRate / 1000) + "k");
        r.params = paramsString({{"clients", std::to_string(opt.clients)}, {"acks_per_s", std::to_string(opt.echoRate)},
                                 {"seconds", std::to_string(opt.duration)}});
        r.add("p50_ms", percentileMs(h.latencies, 50));
        r.add("p99_ms", percentileMs(h.latencies, 99));
        r.add("achieved_per_s", double(acks) / iv.wall());
        r.addInterval(iv, double(acks), "server_cpu_us_per_ack");
        r.add("lost", double((h.sent - sent0) - acks + h.bad));
        r.print();
        failures += (h.sent - sent0) != acks || h.bad;
    }
    return failures ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// verify: blocking clients, exact replies

int verifyFailures = 0;
int verifyChecks = 0;

void check(bool ok, const std::string &name, const std::string &detail = {})
{
    ++verifyChecks;
    if (ok) {
        std::printf("PASS %s\n", name.c_str());
    } else {
        ++verifyFailures;
        std::printf("FAIL %s%s%s\n", name.c_str(), detail.empty() ? "" : ": ", detail.c_str());
        std::printf("{\"verify\":\"failed\",\"checks\":%d,\"failures\":%d}\n", verifyChecks, verifyFailures);
        std::fflush(stdout);
        std::exit(1);   // later checks depend on earlier replies: stop at the first mismatch
    }
    std::fflush(stdout);
}

bool readSome(int fd, std::string &in, int timeoutMs)
{
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeoutMs) <= 0)
        return false;
    char buf[65536];
    const ssize_t r = ::recv(fd, buf, sizeof buf, 0);
    if (r <= 0)
        return false;
    in.append(buf, size_t(r));
    return true;
}

void sendAll(int fd, std::string_view data)
{
    while (!data.empty()) {
        const ssize_t w = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (w <= 0)
            die("send: %s", std::strerror(errno));
        data.remove_prefix(size_t(w));
    }
}

// A blocking WebSocket Socket.IO client on "/".
struct BlockingWs
{
    int fd = -1;
    std::string in;
    std::string sid;
    struct Msg
    {
        bool binary = false;
        std::string data;   // Socket.IO packet (text after "4") or binary attachment
        bool valid = false;
    };

    ~BlockingWs()
    {
        if (fd >= 0)
            closeHard(fd);
    }

    bool open()
    {
        fd = connectSocket(true);
        sendAll(fd, wsUpgradeRequest());
        int status = 0;
        size_t headLen = 0;
        long cl;
        while (!parseHttpHead(in, status, headLen, cl))
            if (!readSome(fd, in, 5000))
                return false;
        if (status != 101)
            return false;
        in.erase(0, headLen);
        Msg m = recvEngine(5000);   // 0{...}
        if (!m.valid || m.binary || m.data.empty() || m.data[0] != '0')
            return false;
        sendText("40");
        m = recv(5000);
        if (!m.valid || m.data.size() < 2 || m.data[0] != '0')
            return false;
        sid = extractSid(m.data);
        return !sid.empty();
    }

    void sendText(std::string_view engineText)
    {
        std::string out;
        appendWsFrame(out, 1, engineText.data(), engineText.size());
        sendAll(fd, out);
    }
    void sendSio(std::string_view packet) { sendText("4" + std::string(packet)); }
    void sendBinary(std::string_view bytes)
    {
        std::string out;
        appendWsFrame(out, 2, bytes.data(), bytes.size());
        sendAll(fd, out);
    }

    // Next Engine.IO message (text with its type, or binary); pings are answered and skipped.
    Msg recvEngine(int timeoutMs)
    {
        const int64_t end = nowNs() + int64_t(timeoutMs) * 1000000;
        std::string scratch, frag;
        int fragOp = 0;
        for (;;) {
            size_t pos = 0;
            while (pos < in.size()) {
                bool fin;
                int opcode;
                const char *payload;
                size_t len;
                const size_t used = parseWsFrame(in.data() + pos, in.size() - pos, fin, opcode, payload, len, scratch);
                if (!used)
                    break;
                pos += used;
                if (opcode == 8)
                    return {};
                if (opcode == 9 || opcode == 10)
                    continue;
                if (opcode != 0)
                    fragOp = opcode;
                frag.append(payload, len);
                if (!fin)
                    continue;
                in.erase(0, pos);
                Msg m;
                m.valid = true;
                m.binary = fragOp == 2;
                m.data = std::move(frag);
                if (!m.binary && m.data == "2") {   // heartbeat
                    sendText("3");
                    frag.clear();
                    pos = 0;
                    continue;
                }
                return m;
            }
            in.erase(0, pos);
            const int64_t left = (end - nowNs()) / 1000000;
            if (left <= 0 || !readSome(fd, in, int(left)))
                return {};
        }
    }

    // Next Socket.IO packet (text without the "4") or binary attachment.
    Msg recv(int timeoutMs)
    {
        Msg m = recvEngine(timeoutMs);
        if (m.valid && !m.binary) {
            if (m.data.empty() || m.data[0] != '4')
                return recv(timeoutMs);   // noop etc.
            m.data.erase(0, 1);
        }
        return m;
    }
};

// A blocking long-polling Socket.IO client on "/": one connection for GETs, one for POSTs.
struct BlockingPolling
{
    int getFd = -1, postFd = -1;
    std::string getIn, postIn, sid;
    std::vector<std::string> pending;   // Engine.IO packets received, not yet taken
    bool getParked = false;

    ~BlockingPolling()
    {
        if (getFd >= 0)
            closeHard(getFd);
        if (postFd >= 0)
            closeHard(postFd);
    }

    static bool response(int fd, std::string &in, std::string &body, int timeoutMs)
    {
        const int64_t end = nowNs() + int64_t(timeoutMs) * 1000000;
        for (;;) {
            int status;
            size_t headLen;
            long cl;
            if (parseHttpHead(in, status, headLen, cl) && cl >= 0 && in.size() >= headLen + size_t(cl)) {
                body = in.substr(headLen, size_t(cl));
                in.erase(0, headLen + size_t(cl));
                return status == 200;
            }
            const int64_t left = (end - nowNs()) / 1000000;
            if (left <= 0 || !readSome(fd, in, int(left)))
                return false;
        }
    }

    bool post(const std::string &payload)
    {
        sendAll(postFd, pollingRequest(sid, &payload));
        std::string body;
        return response(postFd, postIn, body, 5000) && body == "ok";
    }

    void startGet()
    {
        if (!getParked) {
            sendAll(getFd, pollingRequest(sid, nullptr));
            getParked = true;
        }
    }

    // Next Engine.IO packet; pings are answered and skipped.
    std::string next(int timeoutMs)
    {
        for (;;) {
            if (!pending.empty()) {
                std::string p = pending.front();
                pending.erase(pending.begin());
                if (p == "2") {
                    post("3");
                    continue;
                }
                if (p == "6")
                    continue;
                return p;
            }
            startGet();
            std::string body;
            if (!response(getFd, getIn, body, timeoutMs))
                return {};
            getParked = false;
            size_t start = 0;
            while (start <= body.size()) {
                size_t end = body.find('\x1e', start);
                if (end == std::string::npos)
                    end = body.size();
                pending.push_back(body.substr(start, end - start));
                start = end + 1;
            }
        }
    }

    bool open()
    {
        getFd = connectSocket(true);
        postFd = connectSocket(true);
        sendAll(getFd, pollingRequest({}, nullptr));
        std::string body;
        if (!response(getFd, getIn, body, 5000))
            return false;
        sid = extractSid(body);
        if (sid.empty() || !post("40"))
            return false;
        const std::string p = next(5000);
        return p.size() > 2 && p.compare(0, 2, "40") == 0;
    }
};

std::string show(const BlockingWs::Msg &m)
{
    if (!m.valid)
        return "(nothing)";
    if (m.binary)
        return "(binary, " + std::to_string(m.data.size()) + " bytes)";
    return m.data;
}

void expectText(BlockingWs &c, const std::string &expected, const std::string &name)
{
    const BlockingWs::Msg m = c.recv(5000);
    check(m.valid && !m.binary && m.data == expected, name, "expected " + expected + ", got " + show(m));
}

void expectBinary(BlockingWs &c, const std::string &expected, const std::string &name)
{
    const BlockingWs::Msg m = c.recv(5000);
    check(m.valid && m.binary && m.data == expected, name,
          "expected " + std::to_string(expected.size()) + " bytes, got " + show(m));
}

int scenarioVerify()
{
    BlockingWs a, b, c;
    if (!a.open() || !b.open() || !c.open())
        die("verify: cannot connect three WebSocket clients to %s:%d", opt.host.c_str(), opt.port);
    check(a.sid.size() >= 1 && a.sid != b.sid, "connect: distinct socket ids");

    // echo without an ack: emitted back as "echo", arguments unchanged (key order kept)
    a.sendSio(R"(2["echo","a",2,{"z":1,"y":[true,null,"\u00e9\n"],"x":{"b":1,"a":2}}])");
    expectText(a, R"(2["echo","a",2,{"z":1,"y":[true,null,"é\n"],"x":{"b":1,"a":2}}])", "echo without ack");
    // echo with an ack: acknowledged with the arguments
    a.sendSio(R"(27["echo","a",{"z":1,"y":2}])");
    expectText(a, R"(37["a",{"z":1,"y":2}])", "echo with ack");
    // echo of a binary with an ack
    const std::string small = binaryPayload(42, 7, 1000);
    a.sendSio(R"(51-8["echo",{"name":"f","data":{"_placeholder":true,"num":0}}])");
    a.sendBinary(small);
    expectText(a, R"(61-8[{"name":"f","data":{"_placeholder":true,"num":0}}])", "echo with ack, binary header");
    expectBinary(a, small, "echo with ack, binary attachment intact");

    // join / leave acks
    a.sendSio(R"(21["join","r1"])");
    expectText(a, R"(31[{"ok":true}])", "join ack (a)");
    b.sendSio(R"(22["join","r1"])");
    expectText(b, R"(32[{"ok":true}])", "join ack (b)");
    c.sendSio(R"(23["join","r2"])");
    expectText(c, R"(33[{"ok":true}])", "join ack (c, other room)");

    // broadcast: payload unchanged, keys in order, to every member (sender included), not to others
    const std::string payload = R"({"z":1,"a":{"y":[1,2.5,"x"],"b":false},"m":"h\u00e9","n":null})";
    const std::string payloadOut = R"({"z":1,"a":{"y":[1,2.5,"x"],"b":false},"m":"hé","n":null})";
    a.sendSio(R"(2["broadcast","r1",)" + payload + "]");
    expectText(a, "2[\"broadcast\"," + payloadOut + "]", "broadcast reaches the sender in the room");
    expectText(b, "2[\"broadcast\"," + payloadOut + "]", "broadcast reaches the other member");
    // broadcast with an ack request: acknowledged {"ok":true}
    b.sendSio(R"(29["broadcast","r2","only-c"])");
    expectText(b, R"(39[{"ok":true}])", "broadcast ack");
    expectText(c, R"(2["broadcast","only-c"])", "non-member gets only its own room's broadcast");

    // binary broadcast, 64 KiB, nested in an object
    const std::string big = binaryPayload(43, 9, 65536);
    a.sendSio(R"(51-["broadcast","r1",{"k":"v","bin":{"_placeholder":true,"num":0},"after":3}])");
    a.sendBinary(big);
    for (BlockingWs *s : {&a, &b}) {
        const std::string who = s == &a ? " (a)" : " (b)";
        expectText(*s, R"(51-["broadcast",{"k":"v","bin":{"_placeholder":true,"num":0},"after":3}])",
                   "binary broadcast header" + who);
        expectBinary(*s, big, "binary broadcast 64 KiB intact" + who);
    }

    // leave: b no longer receives r1
    b.sendSio(R"(24["leave","r1"])");
    expectText(b, R"(34[{"ok":true}])", "leave ack");
    a.sendSio(R"(2["broadcast","r1","after-leave"])");
    expectText(a, R"(2["broadcast","after-leave"])", "broadcast after leave reaches the member");
    b.sendSio(R"(25["echo","marker-b"])");
    expectText(b, R"(35["marker-b"])", "left member gets nothing before its next reply");
    c.sendSio(R"(26["echo","marker-c"])");
    expectText(c, R"(36["marker-c"])", "non-member got nothing of r1");

    // a long-polling member receives the broadcast unchanged, binary as base64
    BlockingPolling p;
    check(p.open(), "polling client connects");
    check(p.post(R"(421["join","r1"])"), "polling POST accepted");
    check(p.next(5000) == R"(431[{"ok":true}])", "polling join ack");
    a.sendSio(R"(2["broadcast","r1",)" + payload + "]");
    expectText(a, "2[\"broadcast\"," + payloadOut + "]", "broadcast to sender (polling round)");
    const std::string got = p.next(5000);
    check(got == "42[\"broadcast\"," + payloadOut + "]", "polling member receives the broadcast unchanged", got);
    a.sendSio(R"(51-["broadcast","r1",{"_placeholder":true,"num":0}])");
    a.sendBinary(small);
    expectText(a, R"(51-["broadcast",{"_placeholder":true,"num":0}])", "binary broadcast to sender (polling round)");
    expectBinary(a, small, "binary broadcast to sender intact (polling round)");
    const std::string header = p.next(5000);
    check(header == R"(451-["broadcast",{"_placeholder":true,"num":0}])", "polling binary header", header);
    const std::string attachment = p.next(5000);
    check(attachment == "b" + base64(small), "polling binary attachment intact (base64)",
          attachment.substr(0, 40) + "...");

    std::printf("{\"verify\":\"%s\",\"checks\":%d,\"failures\":%d}\n", verifyFailures ? "failed" : "ok", verifyChecks,
                verifyFailures);
    return verifyFailures ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------

void usage()
{
    std::fprintf(stderr,
                 "usage: bench-load <connect|fanout|echo|polling|binary|verify> --port N [options]\n"
                 "  --host IPv4 (127.0.0.1)  --server-pid PID (server CPU/RSS from /proc)  --label NAME\n"
                 "  --quick                  tiny sizes (smoke run)\n"
                 "  connect: --conns 10000 --concurrency 100 --idle 0 (seconds held idle after, measured)\n"
                 "  fanout:  --subs 1000 --burst 200 --rates 20000,50000 --duration 5 --payload 100\n"
                 "  echo:    --clients 50 --duration 5 --echo-rate 5000 --payload 100\n"
                 "  polling: --poll-subs 200 --poll-msgs 200 --window 8\n"
                 "  binary:  --bin-subs 20 --bin-msgs 100 --bin-size 65536 --window 8 [--check-content]\n"
                 "  --timeout 60 (seconds, per phase)\n");
}

void quick()
{
    opt.conns = 300;
    opt.concurrency = 50;
    opt.idle = 0.5;
    opt.subs = 50;
    opt.burst = 40;
    opt.rates = {2000, 5000};
    opt.duration = 1.0;
    opt.pollSubs = 10;
    opt.pollMsgs = 30;
    opt.binSubs = 4;
    opt.binMsgs = 10;
    opt.clients = 10;
    opt.echoRate = 1000;
    opt.checkContent = true;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return 2;
    }
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    opt.scenario = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                die("%s needs a value", a.c_str());
            return argv[++i];
        };
        if (a == "--quick")
            quick();
        else if (a == "--port")
            opt.port = std::stoi(value());
        else if (a == "--host")
            opt.host = value();
        else if (a == "--server-pid")
            opt.serverPid = std::stoi(value());
        else if (a == "--label")
            opt.label = value();
        else if (a == "--conns")
            opt.conns = std::stoi(value());
        else if (a == "--concurrency")
            opt.concurrency = std::stoi(value());
        else if (a == "--idle")
            opt.idle = std::stod(value());
        else if (a == "--subs")
            opt.subs = std::stoi(value());
        else if (a == "--burst")
            opt.burst = std::stoi(value());
        else if (a == "--rates") {
            opt.rates.clear();
            std::string list = value();
            size_t start = 0;
            while (start < list.size()) {
                size_t end = list.find(',', start);
                if (end == std::string::npos)
                    end = list.size();
                opt.rates.push_back(std::stoi(list.substr(start, end - start)));
                start = end + 1;
            }
        } else if (a == "--duration")
            opt.duration = std::stod(value());
        else if (a == "--payload")
            opt.payload = std::stoi(value());
        else if (a == "--poll-subs")
            opt.pollSubs = std::stoi(value());
        else if (a == "--poll-msgs")
            opt.pollMsgs = std::stoi(value());
        else if (a == "--bin-subs")
            opt.binSubs = std::stoi(value());
        else if (a == "--bin-msgs")
            opt.binMsgs = std::stoi(value());
        else if (a == "--bin-size")
            opt.binSize = std::stoi(value());
        else if (a == "--window")
            opt.window = std::stoi(value());
        else if (a == "--clients")
            opt.clients = std::stoi(value());
        else if (a == "--echo-rate")
            opt.echoRate = std::stoi(value());
        else if (a == "--check-content")
            opt.checkContent = true;
        else if (a == "--timeout")
            opt.timeout = std::stod(value());
        else {
            usage();
            return 2;
        }
    }
    if (opt.scenario == "connect")
        return scenarioConnect();
    if (opt.scenario == "fanout")
        return scenarioFanout();
    if (opt.scenario == "echo")
        return scenarioEcho();
    if (opt.scenario == "polling")
        return scenarioPolling();
    if (opt.scenario == "binary")
        return scenarioBinary();
    if (opt.scenario == "verify")
        return scenarioVerify();
    usage();
    return 2;
}
