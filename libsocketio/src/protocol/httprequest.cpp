#include "httprequest.h"
#include "bytes_p.h"

#include <QVarLengthArray>

#include <algorithm>
#include <cstring>
#include <limits>

namespace SocketIo::Protocol {

namespace {

// RFC 9110 5.6.2 tchar, as a table: header names are checked byte by byte on every request.
struct TokenTable
{
    bool chars[256] = {};
    constexpr TokenTable()
    {
        for (int c = 'a'; c <= 'z'; ++c)
            chars[c] = true;
        for (int c = 'A'; c <= 'Z'; ++c)
            chars[c] = true;
        for (int c = '0'; c <= '9'; ++c)
            chars[c] = true;
        for (char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'})
            chars[static_cast<unsigned char>(c)] = true;
    }
};
constexpr TokenTable tokenTable;

bool isTokenChar(char c)
{
    return tokenTable.chars[static_cast<unsigned char>(c)];
}

bool isToken(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (char c : s) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

// Field values: VCHAR, obs-text, SP, HTAB. DEL (0x7F) is tolerated here so that the engine can
// refuse such an Origin with its own error (code 3), as engine.io does.
bool isFieldValueChar(unsigned char c)
{
    return c == '\t' || c >= 0x20;
}

QByteArrayView trimmed(QByteArrayView v)
{
    while (!v.isEmpty() && (v.front() == ' ' || v.front() == '\t'))
        v = v.sliced(1);
    while (!v.isEmpty() && (v.back() == ' ' || v.back() == '\t'))
        v.chop(1);
    return v;
}

char asciiLower(char c)
{
    return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

// \a lower is lower-case ASCII.
bool equalsIgnoringCase(QByteArrayView bytes, QByteArrayView lower)
{
    if (bytes.size() != lower.size())
        return false;
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        if (asciiLower(bytes[i]) != lower[i])
            return false;
    }
    return true;
}

// The comma-separated elements of a header value, trimmed, as views into it (an empty value has
// one empty element, as with QByteArray::split()).
QVarLengthArray<QByteArrayView, 4> listElements(QByteArrayView list)
{
    QVarLengthArray<QByteArrayView, 4> elements;
    while (true) {
        const qsizetype comma = Bytes::indexOf(list, ',');
        elements.append(trimmed(comma < 0 ? list : list.first(comma)));
        if (comma < 0)
            return elements;
        list = list.sliced(comma + 1);
    }
}

// \a token is lower-case.
bool containsToken(QByteArrayView list, QByteArrayView token)
{
    for (const QByteArrayView element : listElements(list)) {
        if (equalsIgnoringCase(element, token))
            return true;
    }
    return false;
}

// A header name (a token, so ASCII) lower-cased. The names most requests carry come from a
// table of static strings (no allocation per header); any other is lower-cased into a copy.
QByteArray lowerCased(QByteArrayView name)
{
    static const QByteArray common[] = {
        QByteArrayLiteral("host"), QByteArrayLiteral("connection"), QByteArrayLiteral("upgrade"),
        QByteArrayLiteral("origin"), QByteArrayLiteral("user-agent"), QByteArrayLiteral("accept"),
        QByteArrayLiteral("accept-encoding"), QByteArrayLiteral("accept-language"),
        QByteArrayLiteral("cache-control"), QByteArrayLiteral("pragma"), QByteArrayLiteral("cookie"),
        QByteArrayLiteral("referer"), QByteArrayLiteral("authorization"),
        QByteArrayLiteral("content-type"), QByteArrayLiteral("content-length"),
        QByteArrayLiteral("transfer-encoding"), QByteArrayLiteral("expect"),
        QByteArrayLiteral("sec-websocket-key"), QByteArrayLiteral("sec-websocket-version"),
        QByteArrayLiteral("sec-websocket-extensions"), QByteArrayLiteral("sec-websocket-protocol"),
        QByteArrayLiteral("sec-fetch-dest"), QByteArrayLiteral("sec-fetch-mode"),
        QByteArrayLiteral("sec-fetch-site"), QByteArrayLiteral("x-forwarded-for"),
        QByteArrayLiteral("x-forwarded-proto"),
    };
    for (const QByteArray &known : common) {
        if (known.size() == name.size() && equalsIgnoringCase(name, known))
            return known;
    }
    QByteArray lower(name.size(), Qt::Uninitialized);
    char *out = lower.data();
    for (char c : name)
        *out++ = asciiLower(c);
    return lower;
}

// The method (case-sensitive): the usual ones as static strings, no allocation.
QByteArray methodName(QByteArrayView method)
{
    static const QByteArray common[] = {QByteArrayLiteral("GET"), QByteArrayLiteral("POST"),
                                        QByteArrayLiteral("OPTIONS"), QByteArrayLiteral("HEAD")};
    for (const QByteArray &known : common) {
        if (Bytes::equals(method, known))
            return known;
    }
    return method.toByteArray();
}

// Longest run of empty lines we skip before a request line (RFC 9112 2.2 allows some, clients
// send a stray CRLF after a POST body).
constexpr int MaxLeadingEmptyLines = 4;

} // namespace

QByteArray HttpRequest::header(QByteArrayView lowerName) const
{
    for (const auto &h : headers) {
        if (Bytes::equals(h.first, lowerName))
            return h.second;
    }
    return {};
}

bool HttpRequest::hasHeader(QByteArrayView lowerName) const
{
    for (const auto &h : headers) {
        if (Bytes::equals(h.first, lowerName))
            return true;
    }
    return false;
}

bool HttpRequest::keepAlive() const
{
    const QByteArray connection = header("connection");
    if (versionMinor >= 1)
        return !containsToken(connection, "close");
    return containsToken(connection, "keep-alive");
}

bool HttpRequest::isWebSocketUpgrade() const
{
    return containsToken(header("upgrade"), "websocket")
        && containsToken(header("connection"), "upgrade");
}

QByteArray decodeQueryComponent(QByteArrayView component)
{
    const auto hex = [](char c) { return Bytes::hexDigitValue(uchar(c)); };
    QByteArray out(component.size(), Qt::Uninitialized);
    char *o = out.data();
    for (qsizetype i = 0; i < component.size(); ++i) {
        const char c = component[i];
        if (c == '+') {
            *o++ = ' ';
        } else if (c == '%' && i + 2 < component.size() && hex(component[i + 1]) >= 0
                   && hex(component[i + 2]) >= 0) {
            *o++ = char(hex(component[i + 1]) * 16 + hex(component[i + 2]));
            i += 2;
        } else {
            *o++ = c;
        }
    }
    out.truncate(o - out.constData());
    return out;
}

HttpRequestParser::HttpRequestParser(qint64 maxBodySize)
    : m_maxBodySize(maxBodySize)
{
}

void HttpRequestParser::setMaxBodySize(qint64 maxBodySize)
{
    m_maxBodySize = maxBodySize;
}

HttpRequestParser::State HttpRequestParser::feed(QByteArrayView bytes)
{
    if (m_state == State::Error)
        return m_state;
    m_buffer.append(bytes.data(), bytes.size());
    return parseBuffered();
}

HttpRequestParser::State HttpRequestParser::parseBuffered()
{
    if (m_state == State::NeedMore)
        m_state = parseHead();
    if (m_state == State::HeadComplete)
        m_state = parseBody();
    return m_state;
}

HttpRequestParser::State HttpRequestParser::state() const
{
    return m_state;
}

const HttpRequest &HttpRequestParser::request() const
{
    return m_request;
}

HttpRequest HttpRequestParser::takeRequest()
{
    HttpRequest r = std::move(m_request);
    m_request = HttpRequest();
    if (m_state == State::Complete)
        m_state = State::NeedMore;
    m_contentLength = 0;
    m_headSize = 0;
    m_chunked = false;
    m_chunkStep = ChunkStep::Size;
    m_chunkRemaining = 0;
    m_trailerBytes = 0;
    m_chunkedRaw.clear();
    m_keepChunkedRaw = true;
    m_chunkExtensionBytes = 0;
    return r;
}

bool HttpRequestParser::bodyTooLarge() const
{
    return m_bodyTooLarge;
}

qsizetype HttpRequestParser::headSize() const
{
    return m_headSize;
}

int HttpRequestParser::errorStatus() const
{
    return m_errorStatus;
}

QByteArray HttpRequestParser::errorString() const
{
    return m_error;
}

QByteArray HttpRequestParser::takeBuffered()
{
    QByteArray b = std::move(m_buffer);
    m_buffer.clear();
    return b;
}

HttpRequestParser::State HttpRequestParser::parseHead()
{
    auto fail = [this](int status, const char *why) {
        m_errorStatus = status;
        m_error = QByteArray(why);
        return State::Error;
    };

    // Read-only access: no detach check per byte.
    const char *const buf = m_buffer.constData();
    const qsizetype bufSize = m_buffer.size();
    // Skip a few leading empty lines; anything else that is not a request line is an error.
    qsizetype start = 0;
    for (int i = 0; i <= MaxLeadingEmptyLines; ++i) {
        if (bufSize - start >= 2 && buf[start] == '\r' && buf[start + 1] == '\n') {
            if (i == MaxLeadingEmptyLines)
                return fail(400, "too many empty lines before the request line");
            start += 2;
            continue;
        }
        break;
    }

    // Everything before the end of head must be free of bare CR / LF; checking the available
    // bytes early refuses garbage without waiting for the limit. One pass, line by line, with
    // memchr() doing the scanning: in a line only its last byte may be a CR (the one before its
    // LF, or the last byte received so far, whose LF may still come), and its LF must follow a
    // CR. The head ends at the first empty line ("\r\n\r\n"); bytes after it are not looked at.
    qsizetype end = -1;
    for (qsizetype pos = qMax(start, m_scanPos - 1); pos < bufSize;) {
        const auto *lf = static_cast<const char *>(std::memchr(buf + pos, '\n', size_t(bufSize - pos)));
        const qsizetype lineEnd = lf ? lf - buf : bufSize;
        if (const auto *cr = static_cast<const char *>(std::memchr(buf + pos, '\r', size_t(lineEnd - pos)));
            cr && cr - buf + 1 < lineEnd)
            return fail(400, "bare CR in request head");
        if (!lf)
            break;
        if (lineEnd == start || buf[lineEnd - 1] != '\r')
            return fail(400, "bare LF in request head");
        if (lineEnd - 3 >= start && buf[lineEnd - 2] == '\n' && buf[lineEnd - 3] == '\r') {
            end = lineEnd - 3;
            break;
        }
        pos = lineEnd + 1;
    }
    const qsizetype scanEnd = end < 0 ? bufSize : end + 2;
    // Keep the last bytes unverified: a CR at the end may still be followed by its LF.
    m_scanPos = qMax(start, scanEnd - 1);
    // Refuse garbage (e.g. a TLS ClientHello) as soon as the method cannot be a token.
    for (qsizetype i = start; i < bufSize && buf[i] != ' '; ++i) {
        if (!isTokenChar(buf[i]) && !(buf[i] == '\r' || buf[i] == '\n'))
            return fail(400, "invalid method");
        if (i - start > MaxHttpRequestLineLength)
            break;
    }
    // (every LF seen follows a CR now: the first one ends the request line)
    const auto *firstLf = static_cast<const char *>(std::memchr(buf + start, '\n', size_t(bufSize - start)));
    if ((firstLf ? firstLf - buf - 1 - start : bufSize - start) > MaxHttpRequestLineLength)
        return fail(414, "request line too long");
    if (end < 0) {
        if (m_buffer.size() - start > MaxHttpHeadSize)
            return fail(431, "request head too large");
        return State::NeedMore;
    }
    if (end + 4 - start > MaxHttpHeadSize)
        return fail(431, "request head too large");

    const QByteArrayView head = QByteArrayView(m_buffer).sliced(start, end - start);
    // (on the stack for any usual head; every LF in it follows a CR, checked above)
    QVarLengthArray<QByteArrayView, 32> lines;
    for (const char *pos = head.data(), *headEnd = head.data() + head.size();;) {
        const auto *lf = static_cast<const char *>(std::memchr(pos, '\n', size_t(headEnd - pos)));
        if (!lf) {
            lines.append(QByteArrayView(pos, headEnd));
            break;
        }
        lines.append(QByteArrayView(pos, lf - 1));
        pos = lf + 1;
    }
    if (lines.size() - 1 > MaxHttpHeaderLines)
        return fail(431, "too many header lines");

    // request-line = method SP request-target SP HTTP-version
    const QByteArrayView requestLine = lines.first();
    const qsizetype sp1 = Bytes::indexOf(requestLine, ' ');
    const qsizetype sp2 = sp1 < 0 ? -1 : Bytes::indexOf(requestLine, ' ', sp1 + 1);
    if (sp1 < 0 || sp2 < 0 || Bytes::indexOf(requestLine, ' ', sp2 + 1) >= 0)
        return fail(400, "malformed request line");
    const QByteArrayView method = requestLine.first(sp1);
    const QByteArrayView target = requestLine.sliced(sp1 + 1, sp2 - sp1 - 1);
    const QByteArrayView version = requestLine.sliced(sp2 + 1);
    if (!isToken(method))
        return fail(400, "invalid method");
    if (target.isEmpty() || target.front() != '/')
        return fail(400, "request target must be in origin-form");
    for (char c : target) {
        if (c <= 0x20 || c >= 0x7F)
            return fail(400, "invalid character in request target");
    }
    if (version.size() != 8 || !version.startsWith("HTTP/") || version[6] != '.'
        || version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
        return fail(400, "malformed HTTP version");
    if (version[5] != '1')
        return fail(505, "HTTP version not supported");

    HttpRequest request;
    request.method = methodName(method);
    request.target = target.toByteArray();
    const qsizetype q = Bytes::indexOf(target, '?');
    request.path = (q < 0 ? target : target.first(q)).toByteArray();
    if (q >= 0)
        request.query = target.sliced(q + 1).toByteArray();
    request.versionMinor = version[7] - '0';

    request.headers.reserve(lines.size() - 1);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArrayView line = lines.at(i);
        if (!line.isEmpty() && (line.front() == ' ' || line.front() == '\t'))
            return fail(400, "obsolete line folding");
        const qsizetype colon = Bytes::indexOf(line, ':');
        if (colon < 0)
            return fail(400, "header line without colon");
        const QByteArrayView name = line.first(colon);
        if (!isToken(name))
            return fail(400, "invalid header name");
        const QByteArrayView value = trimmed(line.sliced(colon + 1));
        for (char c : value) {
            if (!isFieldValueChar(static_cast<unsigned char>(c)))
                return fail(400, "invalid character in header value");
        }
        request.headers.emplaceBack(lowerCased(name), value.toByteArray());
    }

    // Host: exactly one for HTTP/1.1 (RFC 9112 3.2).
    int hosts = 0;
    bool haveLength = false;
    qint64 length = 0;
    bool haveTransferEncoding = false;
    for (const auto &h : std::as_const(request.headers)) {
        if (Bytes::equals(h.first, "host")) {
            ++hosts;
        } else if (Bytes::equals(h.first, "content-length")) {
            // A list ("5, 5") or repeated headers are accepted only if all values agree.
            for (const QByteArrayView part : listElements(h.second)) {
                if (part.isEmpty() || part.size() > 15)
                    return fail(part.isEmpty() ? 400 : 413, "invalid Content-Length");
                qint64 v = 0;
                for (char c : part) {
                    if (c < '0' || c > '9')
                        return fail(400, "invalid Content-Length");
                    v = v * 10 + (c - '0');
                }
                if (haveLength && v != length)
                    return fail(400, "conflicting Content-Length values");
                haveLength = true;
                length = v;
            }
        } else if (Bytes::equals(h.first, "transfer-encoding")) {
            // The codings of every Transfer-Encoding line, in order (RFC 9112 6.1).
            for (const QByteArrayView part : listElements(h.second)) {
                if (part.isEmpty())
                    continue;
                if (haveTransferEncoding && m_chunked)
                    return fail(400, "Transfer-Encoding with a coding after chunked");
                haveTransferEncoding = true;
                if (part.compare("chunked", Qt::CaseInsensitive) == 0)
                    m_chunked = true;
                else
                    return fail(501, "Transfer-Encoding other than chunked is not supported");
            }
        }
    }
    if (request.versionMinor >= 1 && hosts != 1)
        return fail(400, hosts ? "more than one Host header" : "missing Host header");
    if (haveTransferEncoding && haveLength)
        return fail(400, "both Content-Length and Transfer-Encoding");
    if (haveTransferEncoding && request.versionMinor == 0)
        return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (length > m_maxBodySize) {
        m_bodyTooLarge = true;
        m_request = std::move(request);   // a valid head: the refusal may depend on it (CORS)
        return fail(413, "request body too large");
    }

    m_request = std::move(request);
    m_contentLength = length;
    m_headSize = end + 4;
    m_scanPos = 0;
    m_buffer.remove(0, end + 4);
    return State::HeadComplete;
}

HttpRequestParser::State HttpRequestParser::parseBody()
{
    if (m_chunked)
        return parseChunkedBody();
    if (m_buffer.size() < m_contentLength)
        return State::HeadComplete;
    m_request.body = m_buffer.left(m_contentLength);
    m_buffer.remove(0, m_contentLength);
    return State::Complete;
}

HttpRequestParser::State HttpRequestParser::parseChunkedBody()
{
    // RFC 9112 7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF, ending with a chunk of
    // size 0, an optional trailer section and CRLF. The decoded body counts against the body
    // limit as it arrives (413 at the first chunk size that would pass it); chunk extensions and
    // trailer fields are checked for their syntax and dropped. Consumed bytes leave the buffer
    // at once, so feeding byte by byte stays linear.
    auto fail = [this](int status, const char *why) {
        m_errorStatus = status;
        m_error = QByteArray(why);
        return State::Error;
    };
    // A size line ("1a;name=value") or trailer line longer than this is refused.
    constexpr qsizetype MaxChunkLine = 1024;
    qsizetype pos = 0;
    State result = State::HeadComplete;
    while (result == State::HeadComplete) {
        if (m_chunkStep == ChunkStep::Data) {
            const qsizetype take = qMin<qint64>(m_chunkRemaining, m_buffer.size() - pos);
            m_request.body.append(m_buffer.constData() + pos, take);
            pos += take;
            m_chunkRemaining -= take;
            if (m_chunkRemaining > 0)
                break;
            m_chunkStep = ChunkStep::DataEnd;
            continue;
        }
        if (m_chunkStep == ChunkStep::DataEnd) {
            if (m_buffer.size() - pos < 2)
                break;
            if (m_buffer[pos] != '\r' || m_buffer[pos + 1] != '\n') {
                result = fail(400, "chunk data longer than its size");
                break;
            }
            pos += 2;
            m_chunkStep = ChunkStep::Size;
            continue;
        }
        // a line: chunk size or trailer field
        const qsizetype eol = m_buffer.indexOf("\r\n", pos);
        if (eol < 0) {
            // a line ended by a bare LF would wait for ever (until the body deadline): refused
            // at once, as Node's parser does
            if (m_buffer.indexOf('\n', pos) >= 0) {
                result = fail(400, "bare LF in chunked body framing");
                break;
            }
            // (+ 1: a complete line of the maximum length may wait for the LF after its CR)
            if (m_buffer.size() - pos > MaxChunkLine + 1)
                result = fail(400, m_chunkStep == ChunkStep::Size ? "chunk size line too long" : "trailer line too long");
            break;
        }
        const QByteArrayView line = QByteArrayView(m_buffer).sliced(pos, eol - pos);
        if (line.size() > MaxChunkLine) {
            result = fail(400, m_chunkStep == ChunkStep::Size ? "chunk size line too long" : "trailer line too long");
            break;
        }
        for (char c : line) {
            if (!isFieldValueChar(static_cast<unsigned char>(c))) {
                result = fail(400, "invalid character in chunked body framing");
                break;
            }
        }
        if (result != State::HeadComplete)
            break;
        pos = eol + 2;
        if (m_chunkStep == ChunkStep::Trailer) {
            if (line.isEmpty()) {
                result = State::Complete;
                break;
            }
            m_trailerBytes += line.size() + 2;
            if (m_trailerBytes > MaxHttpHeadSize) {
                result = fail(431, "trailer section too large");
                break;
            }
            if (line.indexOf(':') <= 0 || !isToken(line.first(line.indexOf(':')))) {
                result = fail(400, "malformed trailer field");
                break;
            }
            continue;
        }
        // chunk-size = 1*HEXDIG, then optional BWS ";" extensions
        qsizetype i = 0;
        quint64 size = 0;
        for (; i < line.size(); ++i) {
            const char c = line[i];
            int digit = -1;
            if (c >= '0' && c <= '9')
                digit = c - '0';
            else if (c >= 'a' && c <= 'f')
                digit = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                digit = c - 'A' + 10;
            if (digit < 0)
                break;
            if (size > (std::numeric_limits<quint64>::max() >> 4)) {
                result = fail(400, "chunk size out of range");
                break;
            }
            size = (size << 4) | quint64(digit);
        }
        if (result != State::HeadComplete)
            break;
        if (i == 0) {
            result = fail(400, "invalid chunk size");
            break;
        }
        const QByteArrayView rest = trimmed(line.sliced(i));
        if (!rest.isEmpty() && rest.front() != ';') {
            result = fail(400, "invalid chunk size");
            break;
        }
        // Extensions are dropped, but a peer could send many tiny chunks with long ones: as
        // Node's http server (CVE-2024-22019), their total per request is bounded.
        m_chunkExtensionBytes += rest.size();
        if (m_chunkExtensionBytes > MaxChunkExtensionBytes) {
            m_bodyTooLarge = true;
            result = fail(413, "chunk extensions too large");
            break;
        }
        if (size == 0) {
            m_chunkStep = ChunkStep::Trailer;
            continue;
        }
        if (size > quint64(m_maxBodySize) || qint64(size) > m_maxBodySize - m_request.body.size()) {
            m_bodyTooLarge = true;
            result = fail(413, "request body too large");
            break;
        }
        m_chunkRemaining = qint64(size);
        m_chunkStep = ChunkStep::Data;
    }
    if (m_keepChunkedRaw)
        m_chunkedRaw.append(m_buffer.constData(), pos);
    m_buffer.remove(0, pos);
    return result;
}

QByteArray HttpRequestParser::bodyAsReceived() const
{
    return m_chunked ? m_chunkedRaw : m_request.body;
}

void HttpRequestParser::dropBodyAsReceived()
{
    m_keepChunkedRaw = false;
    m_chunkedRaw.clear();
    m_chunkedRaw.squeeze();
}

bool isHttpFieldName(QByteArrayView name)
{
    return isToken(name);
}

bool isHttpFieldValue(QByteArrayView value)
{
    // the request parser's rule, without its tolerance of DEL
    return std::all_of(value.begin(), value.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return isFieldValueChar(u) && u != 0x7F;
    });
}

} // namespace SocketIo::Protocol
