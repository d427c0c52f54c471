// libFuzzer target: the HTTP/1.1 request parser, fed in chunk sizes taken from the input.
// Invariants: no crash; the same bytes give the same sequence of requests (or the same error)
// whether fed at once or in pieces; parsed requests respect the limits; bodies never exceed
// the configured maximum; the query decoder never grows its input.
#include "protocol/httprequest.h"

#include <cstdlib>

using namespace SocketIo::Protocol;

static void check(bool condition)
{
    if (!condition)
        std::abort();
}

namespace {
constexpr qint64 MaxBody = 4096;

struct Outcome
{
    QList<HttpRequest> requests;
    int errorStatus = 0;
};

// Feeds \a bytes in chunks whose sizes come from \a sizes (cycled), collecting every request.
Outcome run(QByteArrayView bytes, QByteArrayView sizes)
{
    Outcome out;
    HttpRequestParser parser(MaxBody);
    qsizetype pos = 0, k = 0;
    auto drain = [&](HttpRequestParser::State s) {
        while (s == HttpRequestParser::State::Complete) {
            out.requests.append(parser.takeRequest());
            check(out.requests.size() < 100000);
            s = parser.parseBuffered();
        }
        return s;
    };
    while (pos < bytes.size()) {
        qsizetype n = sizes.isEmpty() ? bytes.size() : 1 + (uchar(sizes[k++ % sizes.size()]) % 64);
        n = qMin(n, bytes.size() - pos);
        HttpRequestParser::State s = drain(parser.feed(bytes.sliced(pos, n)));
        pos += n;
        if (s == HttpRequestParser::State::Error) {
            out.errorStatus = parser.errorStatus();
            check(out.errorStatus >= 400 && out.errorStatus < 600);
            check(!parser.errorString().isEmpty());
            break;
        }
        if (s == HttpRequestParser::State::HeadComplete)
            check(!parser.request().method.isEmpty());
    }
    return out;
}

bool sameRequest(const HttpRequest &a, const HttpRequest &b)
{
    return a.method == b.method && a.target == b.target && a.headers == b.headers
        && a.body == b.body && a.versionMinor == b.versionMinor;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // First byte: how many following bytes describe chunk sizes.
    if (size < 1)
        return 0;
    const qsizetype sizeBytes = qMin<qsizetype>(data[0] % 16, qsizetype(size) - 1);
    const QByteArrayView sizes(reinterpret_cast<const char *>(data) + 1, sizeBytes);
    const QByteArrayView bytes(reinterpret_cast<const char *>(data) + 1 + sizeBytes,
                               qsizetype(size) - 1 - sizeBytes);

    const Outcome whole = run(bytes, {});
    const Outcome pieces = run(bytes, sizes);
    // Which error is reported first may depend on how much was seen; that one is reported may not.
    check((whole.errorStatus != 0) == (pieces.errorStatus != 0));
    check(whole.requests.size() == pieces.requests.size());
    for (qsizetype i = 0; i < whole.requests.size(); ++i) {
        const HttpRequest &r = whole.requests.at(i);
        check(sameRequest(r, pieces.requests.at(i)));
        check(r.body.size() <= MaxBody);
        check(r.headers.size() <= MaxHttpHeaderLines);
        check(r.target.startsWith('/'));
        check(r.path.size() <= r.target.size());
        for (const auto &h : r.headers)
            check(h.first == h.first.toLower() && !h.first.isEmpty());
        // The query decoder (as URLSearchParams): never longer; without '%' or '+' unchanged.
        const QByteArray decoded = decodeQueryComponent(r.query);
        check(decoded.size() <= r.query.size());
        if (!r.query.contains('%') && !r.query.contains('+'))
            check(decoded == r.query);
    }
    return 0;
}
