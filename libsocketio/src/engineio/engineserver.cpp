#include "engineserver.h"
#include "engineserver_p.h"

#include "enginelogging_p.h"
#include "enginesession_p.h"
#include "enginetransport_p.h"
#include "protocol/bytes_p.h"

#include <QScopedValueRollback>
#include <QSocketNotifier>
#include <QTimerEvent>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QNetworkProxy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QUrl>
#include <QWebSocket>
#include <QWebSocketServer>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>
#include <memory>

#ifdef Q_OS_WIN
#  include <winsock2.h>
#else
#  include <unistd.h>
#  include <cerrno>
#  include <fcntl.h>
#  include <sys/socket.h>
#  include <sys/uio.h>
#endif

namespace SocketIo {

using Protocol::HttpRequest;
using Protocol::HttpRequestParser;

namespace {

// Bytes Qt may buffer per HTTP connection beyond what we consume; TCP flow control holds the
// rest back (a peer pipelining behind a parked GET cannot make us buffer without bound).
constexpr qint64 HttpReadBufferSize = 4 * Protocol::MaxHttpHeadSize;

// Node's http server takes an Expect header as 100-continue when it names it as a token
// (/(?:^|\W)100-continue(?:$|\W)/i).
bool expectsContinue(const QByteArray &expect)
{
    const QByteArray lower = expect.toLower();
    for (qsizetype at = lower.indexOf("100-continue"); at >= 0; at = lower.indexOf("100-continue", at + 1)) {
        const auto isWord = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
        const qsizetype end = at + 12;
        if ((at == 0 || !isWord(lower.at(at - 1))) && (end == lower.size() || !isWord(lower.at(end))))
            return true;
    }
    return false;
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return QByteArrayLiteral("OK");
    case 204: return QByteArrayLiteral("No Content");
    case 304: return QByteArrayLiteral("Not Modified");
    case 400: return QByteArrayLiteral("Bad Request");
    case 403: return QByteArrayLiteral("Forbidden");
    case 404: return QByteArrayLiteral("Not Found");
    case 413: return QByteArrayLiteral("Payload Too Large");
    case 417: return QByteArrayLiteral("Expectation Failed");
    case 414: return QByteArrayLiteral("URI Too Long");
    case 431: return QByteArrayLiteral("Request Header Fields Too Large");
    case 500: return QByteArrayLiteral("Internal Server Error");
    case 501: return QByteArrayLiteral("Not Implemented");
    case 505: return QByteArrayLiteral("HTTP Version Not Supported");
    default: return QByteArrayLiteral("Unknown");
    }
}

// engine.io refuses an Origin matching /[^\t\x20-\x7e\x80-\xff]/ (INVALID_ORIGIN).
bool hasInvalidHeaderChars(const QByteArray &value)
{
    for (char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if (!(c == '\t' || (c >= 0x20 && c <= 0x7E) || c >= 0x80))
            return true;
    }
    return false;
}

// The query of a request target as engine.io's new URL(req.url, base) reads it: after the first
// '?', up to a fragment ('#', which also ends the URL's path: a '#' before any '?' leaves no query).
QByteArrayView urlQuery(const QByteArray &target)
{
    const qsizetype hash = Protocol::Bytes::indexOf(target, '#');
    const QByteArrayView beforeFragment = hash < 0 ? QByteArrayView(target) : QByteArrayView(target).first(hash);
    const qsizetype question = Protocol::Bytes::indexOf(beforeFragment, '?');
    return question < 0 ? QByteArrayView() : beforeFragment.sliced(question + 1);
}

} // namespace

// ---- EngineQuery ---------------------------------------------------------------------------

EngineQuery::EngineQuery(const HttpRequest &request)
{
    QByteArrayView rest = urlQuery(request.target);
    // Most names and values have nothing to decode: views into the query for those.
    const auto needsDecoding = [](QByteArrayView part) {
        for (char c : part) {
            if (c == '%' || c == '+')
                return true;
        }
        return false;
    };
    const auto decoded = [&](QByteArrayView part, QByteArray &storage) {
        if (!needsDecoding(part))
            return part;
        storage = Protocol::decodeQueryComponent(part);
        return QByteArrayView(storage);
    };
    QByteArray decodedName;
    while (!rest.isEmpty()) {
        const qsizetype amp = Protocol::Bytes::indexOf(rest, '&');
        const QByteArrayView pair = amp < 0 ? rest : rest.first(amp);
        rest = amp < 0 ? QByteArrayView() : rest.sliced(amp + 1);
        if (pair.isEmpty())
            continue;
        const qsizetype eq = Protocol::Bytes::indexOf(pair, '=');
        const QByteArrayView rawName = eq < 0 ? pair : pair.first(eq);
        const QByteArrayView rawValue = eq < 0 ? QByteArrayView() : pair.sliced(eq + 1);
        const QByteArrayView name = decoded(rawName, decodedName);
        if (Protocol::Bytes::equals(name, "transport")) {
            transport = decoded(rawValue, m_decodedTransport);
        } else if (Protocol::Bytes::equals(name, "EIO")) {
            eio = decoded(rawValue, m_decodedEio);
        } else if (Protocol::Bytes::equals(name, "sid")) {
            QByteArray storage;
            sid = QString::fromUtf8(decoded(rawValue, storage));
        } else if (Protocol::Bytes::equals(name, "b64")) {
            b64 = !rawValue.isEmpty();   // (a value that decodes to nothing is empty already)
        }
    }
}

// ---- EngineTcpSocket, EngineTcpServer ------------------------------------------------------

void EngineTcpSocket::addToNextUpgradeResponse(const HttpHeaders &headers)
{
    for (const auto &h : headers)
        m_upgradeHeaderLines += h.first + ": " + h.second + "\r\n";
}

qint64 EngineTcpSocket::writeData(const char *data, qint64 size)
{
    // (Buffered sockets only: QAbstractSocket then takes all bytes or fails, so the size
    // reported to the caller cannot hide a partial write.)
    if (m_buffering || (openMode() & QIODevice::Unbuffered))
        return QTcpSocket::writeData(data, size);
    if (Q_UNLIKELY(m_writeCeiling > 0 && bytesToWrite() + size > m_writeCeiling)) {
        // What the engine queues has its own limits; this catches what it does not see, such
        // as QWebSocket's pongs to a peer that pings and never reads.
        if (!m_overCeiling) {
            m_overCeiling = true;
            qCWarning(lcEngine, "more than %lld bytes wait for a peer that reads nothing (maxBufferedBytesCeiling); "
                      "connection from %s dropped", static_cast<long long>(m_writeCeiling),
                      qUtf8Printable(peerAddress().toString()));
            // not from inside the writer's call: its caller may still use the socket
            QMetaObject::invokeMethod(this, [this] { abort(); }, Qt::QueuedConnection);
        }
        return size;   // dropped with the connection
    }
    if (m_framesFirst)
        m_framesFirst->writeCollected();
    QByteArray out;
    if (Q_UNLIKELY(!m_upgradeHeaderLines.isEmpty())) {
        const QByteArrayView bytes(data, size);
        const qsizetype end = bytes.indexOf("\r\n\r\n");
        if (bytes.startsWith("HTTP/1.1 ")) {
            const QByteArray lines = std::exchange(m_upgradeHeaderLines, {});
            if (!bytes.startsWith("HTTP/1.1 101 ") || end < 0) {
                if (end < 0)
                    qCWarning(lcEngineWebSocket,
                              "WebSocket handshake response not written in one piece; "
                              "headers of initialHeaders/responseHeaders left out");
            } else {
                out.reserve(size + lines.size());
                out.append(bytes.first(end + 2));
                out.append(lines);
                out.append(bytes.sliced(end + 2));
            }
        }
    }
    const char *bytes = out.isEmpty() ? data : out.constData();
    const qint64 count = out.isEmpty() ? size : out.size();
    const qint64 sent = qMax<qint64>(sendNow(bytes, count), 0);
    if (sent < count && QTcpSocket::writeData(bytes + sent, count - sent) < 0)
        return -1;
    return size;   // what the caller gave, as it expects
}

void EngineTcpSocket::writePieces(const QList<QByteArray> &pieces)
{
    // A large piece is never split between the kernel and Qt's buffer: its rest would be copied,
    // once per socket that is behind, where Qt's buffer shares the whole array (a broadcast's
    // payload is one array for all its recipients). It and what follows go through that buffer.
    qsizetype direct = 0;
    while (direct < pieces.size() && pieces.at(direct).size() < LargePiece)
        ++direct;
    qint64 sent = qMax<qint64>(sendNow(pieces, direct), 0);
    const QScopedValueRollback buffering(m_buffering, true);
    for (const QByteArray &piece : pieces) {
        if (sent >= piece.size()) {
            sent -= piece.size();
        } else if (sent > 0) {
            write(piece.constData() + sent, piece.size() - sent);   // less than LargePiece
            sent = 0;
        } else {
            write(piece);   // from 4 KiB on, QIODevice keeps a reference instead of a copy
        }
    }
}

bool EngineTcpSocket::canSendNow() const
{
#if defined(Q_OS_UNIX) && defined(MSG_NOSIGNAL)
    return state() == QAbstractSocket::ConnectedState && bytesToWrite() == 0;
#else
    return false;
#endif
}

qint64 EngineTcpSocket::sendNow(const char *data, qint64 size)
{
#if defined(Q_OS_UNIX) && defined(MSG_NOSIGNAL)
    if (size <= 0 || !canSendNow())
        return 0;
    ssize_t n;
    do {
        n = ::send(int(socketDescriptor()), data, size_t(size), MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    return n;
#else
    Q_UNUSED(data);
    Q_UNUSED(size);
    return 0;
#endif
}

qint64 EngineTcpSocket::sendNow(const QList<QByteArray> &pieces, qsizetype count)
{
#if defined(Q_OS_UNIX) && defined(MSG_NOSIGNAL)
    if (count == 1)
        return sendNow(pieces.constFirst().constData(), pieces.constFirst().size());
    if (count <= 0 || !canSendNow())
        return 0;
    constexpr qsizetype MaxPieces = 64;   // per sendmsg(2); more in further calls
    qint64 total = 0;
    for (qsizetype first = 0; first < count; first += MaxPieces) {
        iovec iov[MaxPieces];
        const qsizetype n = qMin(count - first, MaxPieces);
        qint64 offered = 0;
        for (qsizetype i = 0; i < n; ++i) {
            const QByteArray &piece = pieces.at(first + i);
            iov[i].iov_base = const_cast<char *>(piece.constData());
            iov[i].iov_len = size_t(piece.size());
            offered += piece.size();
        }
        msghdr message{};
        message.msg_iov = iov;
        message.msg_iovlen = size_t(n);
        ssize_t taken;
        do {
            taken = ::sendmsg(int(socketDescriptor()), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        } while (taken < 0 && errno == EINTR);
        if (taken < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return total;
            return total > 0 ? total : -1;
        }
        total += taken;
        if (taken < offered)
            break;   // the kernel is full: the rest goes through Qt's buffer
    }
    return total;
#else
    Q_UNUSED(pieces);
    Q_UNUSED(count);
    return 0;
#endif
}

EngineTcpServer::~EngineTcpServer()
{
    stop();
}

bool EngineTcpServer::start(const QHostAddress &address, quint16 port)
{
    if (!listen(address, port))
        return false;
#ifdef Q_OS_LINUX
    // Qt's own accepting is paused for good (nextPendingConnection() is never called, which
    // would resume it); this notifier watches the same descriptor instead.
    pauseAccepting();
    if (m_spareFd < 0)
        m_spareFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    m_notifier = new QSocketNotifier(socketDescriptor(), QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [this] { onAcceptable(); });
    m_refused = 0;
    m_refusedWarned = 0;
    m_acceptPaused = false;
    m_lastRefusalWarning.invalidate();
#else
    // Elsewhere Qt accepts; an accept error pauses it (QTcpServer::acceptError): say so and try
    // again later instead of staying deaf.
    if (!m_resumeOnError) {
        m_resumeOnError = true;
        connect(this, &QTcpServer::acceptError, this, [this](QAbstractSocket::SocketError) {
            qCWarning(lcEngine, "cannot accept connections: %s; trying again in %lld ms",
                      qUtf8Printable(errorString()), static_cast<long long>(AcceptRetryDelay.count()));
            QTimer::singleShot(AcceptRetryDelay, this, [this] {
                if (isListening())
                    resumeAccepting();
            });
        });
    }
#endif
    return true;
}

void EngineTcpServer::stop()
{
    // the notifier goes before the descriptor it watches (disabled now, deleted from the
    // event loop: this may run inside its activated() signal)
    if (m_notifier) {
        m_notifier->setEnabled(false);
        m_notifier->deleteLater();
        m_notifier = nullptr;
    }
#ifdef Q_OS_LINUX
    if (m_spareFd >= 0) {
        ::close(m_spareFd);
        m_spareFd = -1;
    }
#endif
    qDeleteAll(std::exchange(m_accepted, {}));
    close();
}

QTcpSocket *EngineTcpServer::takeAccepted()
{
    if (!m_notifier)   // Qt accepts (not POSIX)
        return nextPendingConnection();
    return m_accepted.isEmpty() ? nullptr : m_accepted.takeFirst();
}

void EngineTcpServer::onAcceptable()
{
#ifdef Q_OS_LINUX
    QPointer<EngineTcpServer> guard(this);
    // level-triggered: what is left after this many comes back on the next pass, after the
    // other sockets had their turn
    for (int i = 0; i < 256 && m_notifier && isListening(); ++i) {
        // (read each time: a slot of newConnection() may have stopped and restarted the server)
        const int listener = int(socketDescriptor());
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            if (m_acceptPaused) {
                m_acceptPaused = false;
                qCInfo(lcEngine, "accepting connections again");
            }
            if (m_spareFd < 0)   // given up when even it could not help: back in reserve
                m_spareFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            EngineTcpSocket *socket = wrap(fd);
            if (!socket)
                continue;
            m_accepted.append(socket);
            Q_EMIT newConnection();
            if (!guard)
                return;
            continue;
        }
        const int error = errno;
        // interrupted, the peer gave up while waiting, or a network error of that connection
        // that Linux reports through accept(2) (its manual: to be treated as EAGAIN, retrying)
        if (error == EINTR || error == ECONNABORTED || error == EPROTO || error == ENOPROTOOPT
            || error == EHOSTDOWN || error == ENONET || error == EHOSTUNREACH || error == EOPNOTSUPP
            || error == ENETUNREACH || error == ENETDOWN || error == EPERM)
            continue;
        if (error == EAGAIN || error == EWOULDBLOCK)
            return;     // nothing waits
        if ((error == EMFILE || error == ENFILE) && m_spareFd >= 0) {
            // libuv's way: the reserve descriptor makes room to take the connection and end it
            // (accept(2) fails with EMFILE before it looks at the queue: whether a connection
            // still waits only the second try tells)
            ::close(m_spareFd);
            const int victim = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            const int victimError = errno;
            if (victim >= 0) {
                ::close(victim);
                ++m_refused;
            }
            m_spareFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            warnRefused(error == EMFILE ? "the process is out of file descriptors (EMFILE)"
                                        : "the system is out of file descriptors (ENFILE)");
            if (m_spareFd >= 0) {
                if (victim >= 0 || victimError == EINTR || victimError == ECONNABORTED)
                    continue;
                if (victimError == EAGAIN || victimError == EWOULDBLOCK)
                    return;   // nothing waits any more
            }
        }
        // out of memory or buffers, or no reserve left: pause rather than spin (said once, not
        // at every retry)
        if (!m_acceptPaused) {
            m_acceptPaused = true;
            qCWarning(lcEngine, "cannot accept connections: %s; trying again every %lld ms, the "
                      "connections wait meanwhile", std::strerror(error),
                      static_cast<long long>(AcceptRetryDelay.count()));
        }
        m_notifier->setEnabled(false);
        // (no QTimer member: the HTTP front keeps no timer objects while idle)
        QTimer::singleShot(AcceptRetryDelay, this, [this] {
            if (m_notifier)
                m_notifier->setEnabled(true);
        });
        return;
    }
#endif
}

void EngineTcpServer::warnRefused(const char *why)
{
    if (m_refused == m_refusedWarned)
        return;
    const qint64 interval = std::chrono::milliseconds(RefusalWarningInterval).count();
    if (m_lastRefusalWarning.isValid() && m_lastRefusalWarning.elapsed() < interval) {
        // the count of this interval is told when it ends, even if no refusal follows
        if (!m_refusalSummaryDue) {
            m_refusalSummaryDue = true;
            QTimer::singleShot(interval - m_lastRefusalWarning.elapsed(), this, [this, why] {
                m_refusalSummaryDue = false;
                m_lastRefusalWarning.invalidate();
                warnRefused(why);
            });
        }
        return;
    }
    qCWarning(lcEngine, "%s: closed %lld incoming connection(s) at once (%lld since listening); "
              "raise the limit (ulimit -n) or lower the load",
              why, static_cast<long long>(m_refused - m_refusedWarned), static_cast<long long>(m_refused));
    m_refusedWarned = m_refused;
    m_lastRefusalWarning.start();
}

EngineTcpSocket *EngineTcpServer::wrap(qintptr socketDescriptor)
{
    auto *socket = new EngineTcpSocket(this);
    if (socket->setSocketDescriptor(socketDescriptor))
        return socket;
    qCWarning(lcEngine) << "cannot take an accepted connection:" << socket->errorString();
    delete socket;
#ifdef Q_OS_WIN
    ::closesocket(SOCKET(socketDescriptor));
#else
    ::close(int(socketDescriptor));
#endif
    return nullptr;
}

void EngineTcpServer::incomingConnection(qintptr socketDescriptor)
{
    if (EngineTcpSocket *socket = wrap(socketDescriptor))
        addPendingConnection(socket);
}

// ---- HttpConnection ------------------------------------------------------------------------

HttpConnection::HttpConnection(QTcpSocket *socket, EngineServerPrivate *server, QObject *parent,
                               const QByteArray &initialBytes)
    : QObject(parent), m_socket(socket), m_server(server),
      m_parser(server->opts().maxHttpBufferSize)
{
    if (!initialBytes.isEmpty()) {
        // handed over by another worker: these bytes come before what the socket holds
        m_mode = Mode::ReadHead;
        m_parser.feed(initialBytes);
    }
    socket->setParent(this);
    socket->setReadBufferSize(HttpReadBufferSize);
    m_readyReadConnection = connect(socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
    m_disconnectedConnection = connect(socket, &QTcpSocket::disconnected, this, &HttpConnection::onDisconnected);
    // bytesWritten matters only in WaitDrain: connected when a connection first gets there
    // (most never do: a WebSocket upgrade leaves after one request).
    startHeadTimer();
    // Bytes already here (handed over, or buffered by whoever accepted the socket) get no
    // readyRead of their own; anything else arrives with one. A socket whose peer closed on the
    // way gets no disconnected() either: onDisconnected() reads what it holds first.
    if (socket->state() != QAbstractSocket::ConnectedState)
        QMetaObject::invokeMethod(this, &HttpConnection::onDisconnected, Qt::QueuedConnection);
    else if (!initialBytes.isEmpty() || socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &HttpConnection::onReadyRead, Qt::QueuedConnection);
}

HttpConnection::~HttpConnection() = default;

void HttpConnection::startHeadTimer()
{
    m_headTimer.start(int(std::chrono::milliseconds(HttpHeadTimeout).count()), Qt::CoarseTimer, this);
}

void HttpConnection::stopTimers()
{
    m_headTimer.stop();
    m_bodyTimer.stop();
}

void HttpConnection::timerEvent(QTimerEvent *event)
{
    const int id = event->timerId();
    if (id == m_headTimer.timerId()) {
        m_headTimer.stop();
        onHeadTimeout();
    } else if (id == m_bodyTimer.timerId()) {
        m_bodyTimer.stop();
        onBodyTimeout();
    } else if (id == m_closeTimer.timerId()) {
        m_closeTimer.stop();
        qCInfo(lcEngine) << "dropping connection from" << m_socket->peerAddress() << ":"
                         << m_socket->bytesToWrite() << "bytes of the last response not read within"
                         << HttpCloseTimeout.count() << "s";
        abort();
    } else {
        QObject::timerEvent(event);
    }
}

void HttpConnection::onHeadTimeout()
{
    if (m_mode == Mode::WaitDrain) {
        qCInfo(lcEngine) << "closing connection from" << m_socket->peerAddress() << ":"
                         << m_socket->bytesToWrite() << "bytes of responses not read within"
                         << HttpHeadTimeout.count() << "s";
    } else {
        qCInfo(lcEngine) << "closing connection from" << m_socket->peerAddress()
                         << ": no complete request head within" << HttpHeadTimeout.count() << "s";
    }
    abort();
}

void HttpConnection::onReadyRead()
{
    if (!m_socket)
        return;
    HttpRequestParser::State state;
    switch (m_mode) {
    case Mode::PeekHead: {
        // Only peek: a WebSocket upgrade must reach QWebSocketServer with its head unread.
        const QByteArray data = m_socket->peek(m_socket->bytesAvailable());
        if (data.size() > m_peeked) {
            m_parser.feed(QByteArrayView(data).sliced(m_peeked));
            m_peeked = data.size();
        }
        state = m_parser.state();
        if (state == HttpRequestParser::State::Error)
            failParse();
        else if (state != HttpRequestParser::State::NeedMore)
            headReceived();
        return;
    }
    case Mode::ReadHead:
    case Mode::ReadBody: {
        // Pipelined bytes the parser holds already come first; the socket is read only when
        // the parser needs more, so the parser holds about one request plus one read and the
        // rest waits in the socket (and under TCP flow control).
        state = m_parser.parseBuffered();
        const bool needMore = state == HttpRequestParser::State::NeedMore
            || (m_mode == Mode::ReadBody && state == HttpRequestParser::State::HeadComplete);
        if (needMore && m_socket->bytesAvailable())
            state = m_parser.feed(m_socket->readAll());
        if (state == HttpRequestParser::State::Error)
            failParse();
        else if (m_mode == Mode::ReadHead && state != HttpRequestParser::State::NeedMore)
            headReceived();
        else if (m_mode == Mode::ReadBody && state == HttpRequestParser::State::Complete)
            dispatch();
        return;
    }
    case Mode::AwaitingResponse:
    case Mode::WaitDrain:
    case Mode::Closed:
        return;
    }
}

void HttpConnection::onBytesWritten()
{
    if (m_mode != Mode::WaitDrain)
        return;
    if (m_socket->bytesToWrite() > HttpWriteBacklogLimit) {
        // The peer reads, slowly: the idle limit counts from its latest progress.
        startHeadTimer();
        return;
    }
    qCDebug(lcEngine) << "responses drained; reading the next request from" << m_socket->peerAddress();
    readNextRequest();
}

void HttpConnection::onBodyTimeout()
{
    if (m_mode != Mode::ReadBody)
        return;
    const HttpRequest &head = m_parser.request();
    qCInfo(lcEngine) << "closing connection from" << m_socket->peerAddress() << ": body of"
                     << head.method << head.target << "not complete within"
                     << m_server->opts().httpBodyTimeout.count() << "ms";
    // Before abort(): a session whose POST slot this request held must not be closed for it
    // (aborted()), nor refuse its client's next POST as concurrent.
    m_server->releasePost(this, head);
    abort();
}

void HttpConnection::headReceived()
{
    m_headTimer.stop();
    const bool peeked = m_mode == Mode::PeekHead;
    const HttpRequest &head = m_parser.request();
    m_isHead = head.method == "HEAD";
    // Expect (RFC 9110 10.1.1), as Node's http server: only in HTTP/1.1 requests that are not
    // upgrades; one naming 100-continue gets the interim response before the body is read,
    // any other expectation is refused with 417.
    // (the header first: most requests have none, and then the upgrade test is not needed)
    QByteArray expect = head.versionMinor >= 1 ? head.header("expect") : QByteArray();
    if (!expect.isNull() && head.isWebSocketUpgrade())
        expect = QByteArray();
    const bool expectContinue = expectsContinue(expect);
    if (!expect.isNull() && !expectContinue) {
        qCInfo(lcEngine) << "refusing expectation" << expect << "of" << head.method << head.target << "from"
                         << m_socket->peerAddress();
        respond(417, m_server->corsHeaders(head), {}, true);
        return;
    }
    QPointer<HttpConnection> self(this);
    if (!m_server->onHead(this, head, peeked) || !self || m_mode == Mode::Closed)
        return;
    if (peeked) {
        // The parser has seen these bytes already; consume them from the socket.
        m_socket->skip(m_peeked);
        m_peeked = 0;
    }
    // The request stays here (no hand-over any more): no need for its framing as received.
    m_parser.dropBodyAsReceived();
    m_mode = Mode::ReadBody;
    // (as Node, also when the body came along already)
    if (expectContinue)
        m_socket->write(QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));
    if (m_parser.state() == HttpRequestParser::State::Complete) {
        dispatch();
        return;
    }
    m_bodyTimer.start(int(qMin<qint64>(m_server->opts().httpBodyTimeout.count(), std::numeric_limits<int>::max())),
                      Qt::CoarseTimer, this);
    if (m_socket->bytesAvailable())
        onReadyRead();
}

void HttpConnection::dispatch()
{
    ++m_requestsServed;
    m_bodyTimer.stop();
    m_mode = Mode::AwaitingResponse;
    HttpRequest request = m_parser.takeRequest();
    m_closeAfterResponse = !request.keepAlive();
    m_server->onRequest(this, std::move(request));
}

void HttpConnection::failParse()
{
    const int status = m_parser.errorStatus();
    qCInfo(lcEngine) << "bad HTTP request from" << m_socket->peerAddress() << ":" << status
                     << m_parser.errorString();
    stopTimers();
    const bool inBody = m_mode == Mode::ReadBody;
    const HttpRequest head = m_parser.request();
    // Once the head is known (a body over the limit, bad chunked framing), the refusal carries
    // the CORS headers like any other answer, so that a page on another origin can read it.
    HttpHeaders headers = head.method.isEmpty() ? HttpHeaders() : m_server->corsHeaders(head);
    m_isHead = head.method == "HEAD";
    headers.emplaceBack(QByteArray("Content-Type"), QByteArray("text/plain; charset=UTF-8"));
    QPointer<HttpConnection> self(this);
    respond(status, headers, reasonPhrase(status), true);
    if (!self || head.method.isEmpty())
        return;
    // The body went wrong after a valid head (a chunked body): as engine.io, a body over the
    // limit frees the session's POST slot and the session goes on; broken framing ends the
    // data request prematurely, which closes its session.
    if (m_parser.bodyTooLarge()) {
        if (inBody)
            m_server->releasePost(this, head);
    } else {
        m_server->failPost(this, head, QStringLiteral("data request connection closed prematurely"));
    }
}

void HttpConnection::respond(int status, const HttpHeaders &headers, const QByteArray &body,
                             bool closeAfter)
{
    if (m_mode == Mode::Closed || !m_socket)
        return;
    const bool close = closeAfter || m_closeAfterResponse;
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    for (const auto &h : headers)
        out += h.first + ": " + h.second + "\r\n";
    // (as Node's setHeader() headers under writeHead()'s: the response's own name wins)
    for (const auto &h : std::as_const(m_middlewareHeaders)) {
        const bool own = std::any_of(headers.cbegin(), headers.cend(), [&h](const auto &o) {
            return o.first.compare(h.first, Qt::CaseInsensitive) == 0;
        });
        if (!own)
            out += h.first + ": " + h.second + "\r\n";
    }
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += close ? QByteArrayLiteral("Connection: close\r\n") : QByteArrayLiteral("Connection: keep-alive\r\n");
    out += "\r\n";
    // A response to HEAD has a GET's headers (Content-Length included) and no body.
    if (!m_isHead)
        out += body;
    m_socket->write(out);
    if (close)
        finish();
    else
        startNextRequest();
}

void HttpConnection::respondRawAndClose(const QByteArray &bytes)
{
    if (m_mode == Mode::Closed || !m_socket)
        return;
    m_socket->write(bytes);
    finish();
}

void HttpConnection::startNextRequest()
{
    m_pipelined = m_parser.takeBuffered();
    m_parser = HttpRequestParser(m_server->opts().maxHttpBufferSize);
    m_closeAfterResponse = false;
    m_isHead = false;
    m_peeked = 0;
    m_middlewareHeaders.clear();
    if (m_socket->bytesToWrite() > HttpWriteBacklogLimit) {
        qCDebug(lcEngine) << "not reading the next request from" << m_socket->peerAddress()
                          << "while" << m_socket->bytesToWrite() << "response bytes are unread";
        m_mode = Mode::WaitDrain;
        if (!m_watchingWrites) {
            m_watchingWrites = true;
            m_bytesWrittenConnection = connect(m_socket, &QTcpSocket::bytesWritten, this, &HttpConnection::onBytesWritten);
        }
        startHeadTimer();
        return;
    }
    readNextRequest();
}

void HttpConnection::readNextRequest()
{
    const QByteArray pipelined = std::exchange(m_pipelined, {});
    if (pipelined.isEmpty()) {
        m_mode = Mode::PeekHead;
    } else {
        m_mode = Mode::ReadHead;
        m_parser.feed(pipelined);
    }
    startHeadTimer();
    QMetaObject::invokeMethod(this, &HttpConnection::onReadyRead, Qt::QueuedConnection);
}

void HttpConnection::finish()
{
    m_mode = Mode::Closed;
    stopTimers();
    m_socket->disconnectFromHost();
    if (m_socket->state() == QAbstractSocket::UnconnectedState) {
        deleteLater();
        return;
    }
    // disconnectFromHost() waits until everything is written, which is forever for a peer that
    // does not read.
    m_closeTimer.start(int(std::chrono::milliseconds(HttpCloseTimeout).count()), Qt::CoarseTimer, this);
}

void HttpConnection::abort()
{
    const bool waiting = m_mode == Mode::AwaitingResponse || m_mode == Mode::ReadBody;
    m_mode = Mode::Closed;
    stopTimers();
    if (m_socket)
        m_socket->abort();
    if (waiting)
        Q_EMIT aborted();
    deleteLater();
}

QTcpSocket *HttpConnection::takeSocket()
{
    QTcpSocket *socket = m_socket;
    disconnect(m_readyReadConnection);
    disconnect(m_disconnectedConnection);
    disconnect(m_bytesWrittenConnection);   // (a no-op when never made)
    m_socket = nullptr;
    m_mode = Mode::Closed;
    stopTimers();
    deleteLater();
    return socket;
}

QTcpSocket *HttpConnection::releaseForHandOver(QByteArray *unread)
{
    unread->clear();
    if (m_mode != Mode::PeekHead) {
        // The head came from bytes read already (pipelined): rebuild it from the parsed request
        // (names lower-cased, which HTTP allows); the body, if complete, is in the request, and
        // the parser holds what followed.
        const HttpRequest &head = m_parser.request();
        QByteArray bytes = head.method + ' ' + head.target + " HTTP/1."
            + QByteArray::number(head.versionMinor) + "\r\n";
        for (const auto &h : head.headers)
            bytes += h.first + ": " + h.second + "\r\n";
        bytes += "\r\n";
        bytes += m_parser.bodyAsReceived();   // as on the wire (chunked framing kept)
        bytes += m_parser.takeBuffered();
        *unread = bytes;
    }
    QTcpSocket *socket = takeSocket();
    socket->setParent(nullptr);
    return socket;
}

void HttpConnection::onDisconnected()
{
    if (m_mode == Mode::PeekHead || m_mode == Mode::ReadHead || m_mode == Mode::ReadBody) {
        // What the peer sent before it closed is read first, as Node's HTTP parser does: a
        // connection handed over by another worker, or the next request of a kept-alive one,
        // waits for a queued read that the close can overtake. A request whose body the close
        // cut short then ends its session's POST as "closed prematurely" instead of vanishing.
        // Each pass serves one request; one answered at once leaves the connection reading the
        // next (pipelined) one, which is served in the next pass.
        QPointer<HttpConnection> self(this);
        for (;;) {
            const quint64 served = m_requestsServed;
            onReadyRead();
            if (!self)
                return;
            if (m_requestsServed == served
                || !(m_mode == Mode::PeekHead || m_mode == Mode::ReadHead || m_mode == Mode::ReadBody))
                break;
        }
    }
    const bool waiting = m_mode == Mode::AwaitingResponse || m_mode == Mode::ReadBody;
    m_mode = Mode::Closed;
    stopTimers();
    if (waiting)
        Q_EMIT aborted();
    deleteLater();
}

// ---- EngineServerPrivate -------------------------------------------------------------------

EngineServerPrivate::EngineServerPrivate(EngineServer *q)
    : q_ptr(q)
{
}

EngineServerPrivate::~EngineServerPrivate() = default;

QObject *EngineServerPrivate::frontParent()
{
    // Not q_ptr itself: a QObject finds a child in its parent's list linearly when it is deleted
    // or reparented, and q_ptr's list holds every session, so each connection's HTTP front and
    // upgraded socket would cost a search through all sessions (docs/benchmarks.md,
    // "Per-connection cost").
    if (!httpFront)
        httpFront = new QObject(q_ptr);
    return httpFront;
}

bool EngineServerPrivate::isEnginePath(const QByteArray &path) const
{
    // engine.io matches by string prefix of the URL path.
    return path.startsWith(pathUtf8);
}

EngineRequest EngineServerPrivate::makeEngineRequest(const HttpRequest &request,
                                                     QTcpSocket *socket) const
{
    EngineRequest r;
    r.method = request.method;
    r.url = QString::fromLatin1(request.target);
    r.headers = request.headers;
    r.query = QUrlQuery(QString::fromLatin1(urlQuery(request.target)));
    if (socket) {
        r.remoteAddress = socket->peerAddress();
        r.remotePort = socket->peerPort();
    }
    r.time = QDateTime::currentDateTimeUtc();
    return r;
}

EngineServerPrivate::Verdict EngineServerPrivate::verify(const HttpRequest &request,
                                                         const EngineQuery &query, bool upgrade,
                                                         const EngineRequest *engineRequest) const
{
    Verdict v;
    auto refuse = [&v](EngineError code, const QString &context) {
        v.ok = false;
        v.code = code;
        v.context = context;
        return v;
    };
    const QByteArrayView transport = query.transport;
    const bool polling = Protocol::Bytes::equals(transport, "polling");
    const bool websocket = Protocol::Bytes::equals(transport, "websocket");
    const bool transportOk = (polling && options.pollingEnabled) || (websocket && options.websocketEnabled);
    if (!transportOk)
        return refuse(EngineError::UnknownTransport,
                      QStringLiteral("unknown transport \"%1\"").arg(QString::fromUtf8(transport)));
    if (hasInvalidHeaderChars(request.header("origin")))
        return refuse(EngineError::BadRequest, QStringLiteral("INVALID_ORIGIN"));
    const bool eio4 = Protocol::Bytes::equals(query.eio, "4");
    if (!query.sid.isEmpty()) {
        EngineSession *session = sessions.value(query.sid);
        if (!session)
            return refuse(EngineError::UnknownSid, QStringLiteral("unknown sid \"%1\"").arg(query.sid));
        // (transport is "polling" or "websocket" here)
        if (!upgrade && session->transportName() != QLatin1StringView(transport))
            return refuse(EngineError::BadRequest, QStringLiteral("TRANSPORT_MISMATCH"));
        if (!eio4)
            return refuse(EngineError::BadRequest, QStringLiteral("PROTOCOL_MISMATCH"));
        if (upgrade) {
            if (!websocket)
                return refuse(EngineError::BadRequest,
                              QStringLiteral("upgrade with transport=%1").arg(QString::fromUtf8(transport)));
            // A WebSocket for a session that is already upgraded or upgrading is accepted and
            // closed at once (onWebSocketConnected), as engine.io does: clients then see a
            // close, not an HTTP error.
        }
        v.session = session;
        return v;
    }
    if (request.method != "GET")
        return refuse(EngineError::BadHandshakeMethod, QStringLiteral("handshake with method %1")
                                                           .arg(QString::fromLatin1(request.method)));
    if (websocket && !upgrade)
        return refuse(EngineError::BadRequest, QStringLiteral("TRANSPORT_HANDSHAKE_ERROR"));
    if (polling && upgrade)
        return refuse(EngineError::BadRequest, QStringLiteral("upgrade with transport=polling"));
    if (options.allowRequest) {
        // (a handshake: the callers build its EngineRequest, the session needs it anyway)
        Q_ASSERT(engineRequest);
        const QString message = options.allowRequest(*engineRequest);
        if (!message.isEmpty()) {
            refuse(EngineError::Forbidden, QStringLiteral("refused by allowRequest"));
            v.message = message;
            return v;
        }
    }
    if (!eio4)
        return refuse(EngineError::UnsupportedProtocolVersion,
                      QStringLiteral("EIO=%1").arg(QString::fromUtf8(query.eio)));
    return v;
}

void EngineServerPrivate::refuse(HttpConnection *connection, const HttpRequest &request,
                                 bool upgrade, const Verdict &verdict,
                                 const EngineRequest *engineRequestOrNull)
{
    Q_Q(EngineServer);
    // (built before the answer, while the connection still has its socket)
    const EngineRequest engineRequest = engineRequestOrNull ? *engineRequestOrNull
                                                            : makeEngineRequest(request, connection->socket());
    const QString message = verdict.message.isEmpty() ? engineErrorMessage(verdict.code)
                                                      : verdict.message;
    qCInfo(lcEngine) << "refused" << (upgrade ? "WebSocket upgrade" : "request") << request.method
                     << request.target << "code" << int(verdict.code) << message << verdict.context;
    if (upgrade) {
        const QByteArray body = message.toUtf8();
        connection->respondRawAndClose("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
                                       "Content-type: text/html\r\nContent-Length: "
                                       + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    } else {
        HttpHeaders headers = corsHeaders(request);
        headers.emplaceBack(QByteArray("Content-Type"), "application/json");
        const QJsonObject json{{QStringLiteral("code"), int(verdict.code)},
                               {QStringLiteral("message"), message}};
        connection->respond(verdict.code == EngineError::Forbidden ? 403 : 400, headers,
                            QJsonDocument(json).toJson(QJsonDocument::Compact));
    }
    Q_EMIT q->connectionError(verdict.code, message, engineRequest);
}

void EngineServerPrivate::applyHeaderHooks(HttpHeaders &headers, bool initial, const EngineRequest &request) const
{
    if (initial && options.initialHeaders)
        options.initialHeaders(headers, request);
    if (options.responseHeaders)
        options.responseHeaders(headers, request);
    dropForbiddenHeaders(headers);
}

void EngineServerPrivate::dropForbiddenHeaders(HttpHeaders &headers)
{
    // Node's http module refuses (throws on) a name that is no token or a value with control
    // characters; here such a header is left out, so that no function can split the response.
    headers.removeIf([](const QPair<QByteArray, QByteArray> &h) {
        if (!Protocol::isHttpFieldName(h.first) || !Protocol::isHttpFieldValue(h.second)) {
            qCWarning(lcEngine) << "response header" << h.first << "left out: invalid name or value" << h.second;
            return true;
        }
        // The framing and the WebSocket handshake are the engine's (and QWebSocketServer's): a
        // second Content-Length or Connection would make the peer misread the stream.
        const QByteArray name = h.first.toLower();
        if (name == "content-length" || name == "transfer-encoding" || name == "connection" || name == "keep-alive"
            || name == "upgrade" || name.startsWith("sec-websocket-")) {
            qCWarning(lcEngine) << "response header" << h.first << "left out: the engine writes it";
            return true;
        }
        return false;
    });
}

HttpHeaders EngineServerPrivate::corsHeaders(const HttpRequest &request) const
{
    const CorsOptions &cors = options.cors;
    HttpHeaders h;
    if (!cors.enabled)
        return h;
    const bool preflight = request.method == "OPTIONS";
    const QByteArray origin = request.header("origin");
    QByteArrayList vary;
    const bool any = cors.origins.isEmpty()
        || (cors.origins.size() == 1 && cors.origins.first() == QLatin1String("*"));
    if (any) {
        // With credentials a browser refuses "*", so the request's origin is echoed.
        if (cors.credentials && !origin.isEmpty()) {
            h.emplaceBack(QByteArray("Access-Control-Allow-Origin"), origin);
            vary.append("Origin");
        } else {
            h.emplaceBack(QByteArray("Access-Control-Allow-Origin"), "*");
        }
    } else if (cors.origins.size() == 1) {
        // a fixed origin is sent whatever the request's is (the browser compares), as cors does
        h.emplaceBack(QByteArray("Access-Control-Allow-Origin"), cors.origins.first().toUtf8());
        vary.append("Origin");
    } else {
        if (cors.origins.contains(QString::fromUtf8(origin)))
            h.emplaceBack(QByteArray("Access-Control-Allow-Origin"), origin);
        vary.append("Origin");
    }
    if (cors.credentials)
        h.emplaceBack(QByteArray("Access-Control-Allow-Credentials"), "true");
    if (preflight) {
        h.emplaceBack(QByteArray("Access-Control-Allow-Methods"), cors.methods.join(QLatin1Char(',')).toUtf8());
        if (!cors.allowedHeaders.isEmpty()) {
            h.emplaceBack(QByteArray("Access-Control-Allow-Headers"), cors.allowedHeaders.join(QLatin1Char(',')).toUtf8());
        } else {
            const QByteArray requested = request.header("access-control-request-headers");
            vary.append("Access-Control-Request-Headers");
            if (!requested.isEmpty())
                h.emplaceBack(QByteArray("Access-Control-Allow-Headers"), requested);
        }
        if (cors.maxAge >= 0)
            h.emplaceBack(QByteArray("Access-Control-Max-Age"), QByteArray::number(cors.maxAge));
    }
    if (!cors.exposedHeaders.isEmpty())
        h.emplaceBack(QByteArray("Access-Control-Expose-Headers"), cors.exposedHeaders.join(QLatin1Char(',')).toUtf8());
    if (!vary.isEmpty())
        h.emplaceBack(QByteArray("Vary"), vary.join(", "));
    return h;
}

void EngineServerPrivate::preflight(HttpConnection *connection, const HttpRequest &request)
{
    connection->respond(204, corsHeaders(request), {});
}

QString EngineServerPrivate::generateId()
{
    // base64id: 12 random bytes + the low 3 bytes of a counter, base64url: 20 characters.
    while (true) {
        uchar raw[15];
        quint32 random[3];
        QRandomGenerator::system()->fillRange(random);
        std::memcpy(raw, random, sizeof random);
        const quint32 n = idCounter++;
        raw[12] = uchar((n >> 16) & 0xFF);
        raw[13] = uchar((n >> 8) & 0xFF);
        raw[14] = uchar(n & 0xFF);
        const QString id = Protocol::encodeBase64Id(raw);
        if (!sessions.contains(id))
            return id;
    }
}

QString EngineServerPrivate::newSessionId(const EngineRequest &request)
{
    if (!options.generateId) {
        // ServerWorkers: claimed before the handshake's answer is written (straight to the
        // kernel), so that the client's next request, on a connection another worker accepted,
        // finds the session's worker.
        while (true) {
            const QString id = generateId();
            if (!claimId || claimId(id))
                return id;
        }
    }
    const QString id = options.generateId(request);
    if (id.isEmpty() || sessions.contains(id) || (claimId && !claimId(id))) {
        qCWarning(lcEngine, "generateId gave %s; handshake refused",
                  id.isEmpty() ? "an empty id" : qUtf8Printable(QStringLiteral("the id \"%1\" of a live session").arg(id)));
        return {};
    }
    return id;
}

bool EngineServerPrivate::onHead(HttpConnection *connection, const HttpRequest &head,
                                 bool mayUpgrade)
{
    if (!isEnginePath(head.path))
        return true;
    const bool upgrade = head.method == "GET" && head.isWebSocketUpgrade();
    if (!upgrade && head.method != "POST" && !ownedElsewhere)
        return true;   // nothing to decide before the body (onRequest() parses the query)
    const EngineQuery query(head);
    if (ownedElsewhere && !query.sid.isEmpty()) {
        // ServerWorkers: the session lives on another worker, which serves this connection from
        // now on (its next requests too, whichever session they name).
        const QString &sid = query.sid;
        if (!sessions.contains(sid) && ownedElsewhere(sid)) {
            QByteArray unread;
            QTcpSocket *socket = connection->releaseForHandOver(&unread);
            qCDebug(lcEngine) << "handing" << head.method << "for session" << sid << "to its worker";
            // From the next event-loop pass: here the socket is still inside its own readyRead
            // emission, and QAbstractSocket updates its state after this returns, which must not
            // happen once the socket belongs to another thread. If the server goes first, the
            // posted call is dropped and the holder deletes the socket.
            auto holder = std::make_shared<std::unique_ptr<QTcpSocket>>(socket);
            QMetaObject::invokeMethod(q_ptr, [this, sid, holder, unread] {
                handOver(sid, holder->release(), unread);
            }, Qt::QueuedConnection);
            return false;
        }
    }
    if (upgrade) {
        // The request the session and the application see (its query as a QUrlQuery).
        EngineRequest engineRequest = makeEngineRequest(head, connection->socket());
        if (!mayUpgrade) {
            Verdict v;
            v.ok = false;
            v.context = QStringLiteral("WebSocket upgrade pipelined behind another request");
            refuse(connection, head, true, v, &engineRequest);
            return false;
        }
        if (options.middlewares.isEmpty()) {
            upgradeConnection(connection, head, std::move(engineRequest), {});
            return false;
        }
        // The head stays unread in the socket meanwhile, for QWebSocketServer.
        connection->holdUpgrade();
        applyMiddlewares(connection, head, true, std::move(engineRequest), [this](MiddlewareRun &run) {
            upgradeConnection(run.connection, run.request, std::move(run.engineRequest), std::move(run.headers));
        });
        return false;
    }
    if (head.method == "POST" && !query.sid.isEmpty() && options.middlewares.isEmpty()) {
        // The POST slot is taken only by a request that will pass verification: one refused in
        // onRequest() never reaches handlePost(), which is what frees the slot. With middlewares
        // no slot is taken: engine.io looks at a POST only after they let it through, so one
        // they refuse (or hold while its peer leaves) must not count against its session; the
        // body is complete by then, and the transport takes it at once.
        const Verdict v = verify(head, query, false, nullptr);
        EngineSession *session = v.ok ? v.session : nullptr;
        PollingTransport *polling = session ? session->d_func()->pollingTransport() : nullptr;
        if (polling && !polling->beginPost(connection)) {
            qCInfo(lcEnginePolling) << "second concurrent POST on session" << session->id();
            connection->respond(400, corsHeaders(head), {}, true);
            session->d_func()->onClose(QStringLiteral("transport error"),
                                       QStringLiteral("overlap from client"));
            return false;
        }
    }
    return true;
}

// ---- engine middlewares ------------------------------------------------------------------

void EngineServerPrivate::applyMiddlewares(HttpConnection *connection, HttpRequest request, bool upgrade,
                                           EngineRequest engineRequest,
                                           std::function<void(MiddlewareRun &)> proceed)
{
    auto run = std::make_shared<MiddlewareRun>();
    run->connection = connection;
    run->request = std::move(request);
    run->engineRequest = std::move(engineRequest);
    run->middlewares = options.middlewares;
    run->proceed = std::move(proceed);
    run->thread = QThread::currentThread();
    run->upgrade = upgrade;
    // A request whose middleware never calls next() lets go of the middlewares with its
    // connection (see stepMiddlewares()).
    QObject::connect(connection, &QObject::destroyed, [weak = std::weak_ptr<MiddlewareRun>(run)] {
        if (const std::shared_ptr<MiddlewareRun> r = weak.lock())
            r->settle();
    });
    stepMiddlewares(std::move(run));
}

void EngineServerPrivate::stepMiddlewares(std::shared_ptr<MiddlewareRun> run)
{
    // A loop, not a recursion, for middlewares that call next() before they return. (run by
    // value: a next() that goes on may be destroyed by the middleware it starts.)
    while (run->index < run->middlewares.size()) {
        const qsizetype index = run->index;
        run->next = MiddlewareRun::Next::Awaited;
        run->inCall = true;
        // The next() of this middleware holds the run: what the middleware keeps stays valid
        // until it calls it. The run holds the middlewares only until it settles (or its
        // connection goes), so a middleware whose state keeps a next() makes no lasting cycle.
        const EngineNext next = [run, index](const QString &error) {
            if (QThread::currentThread() != run->thread) {
                qCCritical(lcEngine, "engine middleware %lld called next() on another thread than "
                                     "the server's; ignored (the request stays unanswered)",
                           static_cast<long long>(index + 1));
                return;
            }
            if (run->index != index || run->next != MiddlewareRun::Next::Awaited) {
                qCWarning(lcEngine, "engine middleware %lld called next() more than once; ignored",
                          static_cast<long long>(index + 1));
                return;
            }
            run->next = error.isEmpty() ? MiddlewareRun::Next::WentOn : MiddlewareRun::Next::Refused;
            run->error = error;
            if (run->inCall)
                return;   // taken up by the loop in stepMiddlewares()
            // (a copy: this function object may go with the middleware that the run starts)
            const std::shared_ptr<MiddlewareRun> keep = run;
            EngineServerPrivate *server = keep->connection && keep->connection->isOpen()
                ? keep->connection->server() : nullptr;
            if (!server) {
                qCDebug(lcEngine, "engine middleware %lld went on after the request's peer left",
                        static_cast<long long>(index + 1));
                keep->settle();
                return;
            }
            if (keep->next == MiddlewareRun::Next::Refused) {
                server->failMiddlewares(*keep);
                return;
            }
            ++keep->index;
            server->stepMiddlewares(keep);
        };
        // (a copy: the run's list may be cleared while the middleware runs)
        const EngineMiddleware middleware = run->middlewares.at(index);
        middleware(run->engineRequest, run->headers, next);
        run->inCall = false;
        if (run->next == MiddlewareRun::Next::Awaited)
            return;   // it goes on later, or never (then the request waits, as in engine.io)
        if (!run->connection || !run->connection->isOpen()) {
            qCDebug(lcEngine, "request's peer left during engine middleware %lld", static_cast<long long>(index + 1));
            run->settle();
            return;
        }
        if (run->next == MiddlewareRun::Next::Refused) {
            failMiddlewares(*run);
            return;
        }
        ++run->index;
    }
    if (!run->connection || !run->connection->isOpen()) {
        run->settle();
        return;
    }
    dropForbiddenHeaders(run->headers);
    const std::function<void(MiddlewareRun &)> proceed = std::move(run->proceed);
    run->settle();
    proceed(*run);
}

void EngineServerPrivate::failMiddlewares(MiddlewareRun &run)
{
    run.settle();
    HttpConnection *connection = run.connection;
    Verdict v;
    v.ok = false;
    v.code = EngineError::BadRequest;
    v.context = QStringLiteral("MIDDLEWARE_FAILURE (middleware %1: %2)").arg(run.index + 1).arg(run.error);
    if (!run.upgrade) {
        // As Node's headers set with setHeader() before an error: also on the refusal. (No POST
        // slot to free: with middlewares none is taken before them, see onHead().)
        dropForbiddenHeaders(run.headers);
        connection->setMiddlewareHeaders(run.headers);
    }
    refuse(connection, run.request, run.upgrade, v, &run.engineRequest);
}

namespace {

/*! Why QWebSocketServer would refuse this handshake, which it does without an answer or a
    word (only a bare close): ws's checks and messages where ws has them, then what Qt 6.4 alone
    refuses (HTTP/1.0, a request line over 8190 bytes, a header line over 8 KiB or more than 100
    header lines, which Node takes). \a rawHead is the head as received, still unread in the
    socket. Empty: fine. Only GET requests come here (the HTTP front treats no other method as
    an upgrade). */
QByteArray webSocketHandshakeProblem(const HttpRequest &head, QByteArrayView rawHead, int *status)
{
    *status = 400;
    if (head.header("upgrade").toLower() != "websocket")
        return QByteArrayLiteral("Invalid Upgrade header");
    static const QRegularExpression keyPattern(QStringLiteral("^[+/0-9A-Za-z]{22}==$"));
    if (!keyPattern.match(QString::fromLatin1(head.header("sec-websocket-key"))).hasMatch())
        return QByteArrayLiteral("Missing or invalid Sec-WebSocket-Key header");
    if (head.header("sec-websocket-version") != "13")
        return QByteArrayLiteral("Missing or invalid Sec-WebSocket-Version header (13 is supported)");
    if (head.versionMinor < 1)
        return QByteArrayLiteral("HTTP/1.1 is needed for a WebSocket handshake");
    // QWebSocketServer's limits in Qt 6.4 (QWebSocketHandshakeRequest::readHandshake): the
    // request line with its line end within 8 KiB, header fields ("name:value" as received) up
    // to 8 KiB each, at most 100 of them
    constexpr qsizetype MaxRequestLine = 8 * 1024 - 2;
    constexpr qsizetype MaxFieldLine = 8 * 1024;
    constexpr qsizetype MaxFields = 100;
    qsizetype fields = -1;   // the request line first
    for (qsizetype from = 0; from < rawHead.size();) {
        qsizetype end = rawHead.indexOf("\r\n", from);
        if (end < 0)
            end = rawHead.size();
        if (end == from)
            break;   // the blank line
        const qsizetype length = end - from;
        if ((fields < 0 && length > MaxRequestLine) || (fields >= 0 && length > MaxFieldLine)
            || ++fields > MaxFields) {
            *status = 431;
            return QByteArrayLiteral("Request header fields too large for a WebSocket handshake "
                                     "(lines up to 8 KiB, at most 100)");
        }
        from = end + 2;
    }
    return {};
}

} // namespace

void EngineServerPrivate::upgradeConnection(HttpConnection *connection, const HttpRequest &head,
                                            EngineRequest engineRequest, HttpHeaders middlewareHeaders)
{
    const EngineQuery query(head);
    const Verdict v = verify(head, query, true, &engineRequest);
    if (!v.ok) {
        refuse(connection, head, true, v, &engineRequest);
        return;
    }
    {
        // answered here, as ws answers them, rather than closed without a word by Qt
        const QByteArray raw = connection->socket()->peek(connection->socket()->bytesAvailable());
        const qsizetype headEnd = raw.indexOf("\r\n\r\n");
        int status = 400;
        const QByteArray problem = webSocketHandshakeProblem(
            head, QByteArrayView(raw).first(headEnd < 0 ? raw.size() : headEnd + 2), &status);
        if (!problem.isEmpty()) {
            qCInfo(lcEngineWebSocket) << "refused WebSocket handshake for" << head.target << "from"
                                      << engineRequest.remoteAddress << ":" << problem;
            const QByteArray reason = status == 431 ? "Request Header Fields Too Large" : "Bad Request";
            connection->respondRawAndClose("HTTP/1.1 " + QByteArray::number(status) + ' ' + reason
                                           + "\r\nConnection: close\r\nContent-Type: text/html\r\n"
                                           + (status == 400 && problem.startsWith("Missing or invalid Sec-WebSocket-Version")
                                                  ? QByteArray("Sec-WebSocket-Version: 13\r\n") : QByteArray())
                                           + "Content-Length: " + QByteArray::number(problem.size())
                                           + "\r\n\r\n" + problem);
            return;
        }
    }
    if (connection->socket()->state() != QAbstractSocket::ConnectedState) {
        qCInfo(lcEngineWebSocket) << "peer of" << head.target << "gone before its upgrade was read; dropped";
        connection->abort();
        return;
    }
    // engine.io: the ws server's "headers" event (initial_headers for a handshake), which ws
    // emits only for a handshake it completes: not when QWebSocketServer will refuse it. The
    // middlewares' headers come first, and the functions see them (engine.io's
    // WebSocketResponse keeps them for that event).
    // ws, engine.io's WebSocket server, accepts the first subprotocol the client offers
    // (Sec-WebSocket-Protocol, e.g. socket.io-client's `protocols` option): a client that offers
    // some and gets none back fails the handshake. QWebSocketServer only picks among protocols
    // it was told to support, so the engine answers it itself.
    const QByteArray subprotocol = head.header("sec-websocket-protocol").split(',').first().trimmed();
    const bool acceptSubprotocol = !subprotocol.isEmpty() && Protocol::isHttpFieldName(subprotocol);
    if ((hasHeaderHooks() || !middlewareHeaders.isEmpty() || acceptSubprotocol)
        && head.header("sec-websocket-version").trimmed() == "13"
        && !head.header("sec-websocket-key").trimmed().isEmpty()) {
        HttpHeaders headers = std::move(middlewareHeaders);
        applyHeaderHooks(headers, query.sid.isEmpty(), engineRequest);
        if (acceptSubprotocol)
            headers.emplaceBack(QByteArray("Sec-WebSocket-Protocol"), subprotocol);
        if (!headers.isEmpty()) {
            if (auto *engineSocket = dynamic_cast<EngineTcpSocket *>(connection->socket()))
                engineSocket->addToNextUpgradeResponse(headers);
            else
                qCWarning(lcEngineWebSocket, "a connection given to handleConnection() gets no headers of "
                                             "middlewares or initialHeaders/responseHeaders, nor the subprotocol "
                                             "it asked for, on its WebSocket handshake");
        }
    }
    QTcpSocket *socket = connection->takeSocket();
    socket->setParent(frontParent());
    socket->setReadBufferSize(0);
    pendingUpgrades.removeIf([](const PendingUpgrade &p) { return p.socket.isNull(); });
    PendingUpgrade pending;
    pending.socket = socket;
    // (makeEngineRequest() read them from this socket already)
    pending.address = engineRequest.remoteAddress;
    pending.port = engineRequest.remotePort;
    pending.request = std::move(engineRequest);
    pending.sid = v.session ? v.session->id() : QString();
    pending.supportsBinary = !query.b64;
    pendingUpgrades.append(std::move(pending));
    qCDebug(lcEngineWebSocket) << "handing upgrade to QWebSocketServer" << head.target;
    wsServer->handleConnection(socket);
}

void EngineServerPrivate::onRequest(HttpConnection *connection, HttpRequest request)
{
    if (staticFiles && (request.method == "GET" || request.method == "HEAD")) {
        if (std::optional<StaticResponse> r = staticFiles(request)) {
            HttpHeaders headers = corsHeaders(request);
            headers.append(r->headers);
            connection->respond(r->status, headers, r->body);
            return;
        }
    }
    if (!isEnginePath(request.path)) {
        qCInfo(lcEngine) << "404 for" << request.method << request.path;
        connection->respond(404, {{"Content-Type", "text/plain; charset=UTF-8"}},
                            QByteArrayLiteral("Not Found"));
        return;
    }
    // The cors middleware answers preflights before engine.io looks at the request (it is
    // engine.io's first middleware: the application's do not see them).
    if (request.method == "OPTIONS" && options.cors.enabled) {
        preflight(connection, request);
        return;
    }
    if (options.middlewares.isEmpty()) {
        serveRequest(connection, request, nullptr);
        return;
    }
    EngineRequest engineRequest = makeEngineRequest(request, connection->socket());
    applyMiddlewares(connection, std::move(request), false, std::move(engineRequest), [this](MiddlewareRun &run) {
        run.connection->setMiddlewareHeaders(run.headers);
        serveRequest(run.connection, run.request, &run.engineRequest);
    });
}

void EngineServerPrivate::serveRequest(HttpConnection *connection, const HttpRequest &request,
                                       const EngineRequest *builtRequest)
{
    const EngineQuery query(request);
    // Only a handshake needs the EngineRequest (for allowRequest and the session): a request of
    // an open session is served without one (and a refused one gets it in refuse()).
    std::optional<EngineRequest> engineRequest;
    if (builtRequest)
        engineRequest = *builtRequest;
    else if (query.sid.isEmpty())
        engineRequest = makeEngineRequest(request, connection->socket());
    const EngineRequest *const engineRequestOrNull = engineRequest ? &*engineRequest : nullptr;
    const Verdict v = verify(request, query, false, engineRequestOrNull);
    if (!v.ok) {
        // The session may have changed (e.g. upgraded) while the body arrived.
        releasePost(connection, request);
        refuse(connection, request, false, v, engineRequestOrNull);
        return;
    }
    if (!v.session) {
        handshakePolling(connection, request, *engineRequest);
        return;
    }
    PollingTransport *polling = v.session->d_func()->pollingTransport();
    if (!polling) {
        // verify() matched the transport name, so this cannot happen; answer safely anyway.
        connection->respond(400, corsHeaders(request), {});
        return;
    }
    if (request.method == "GET")
        polling->handleGet(connection, request);
    else if (request.method == "POST")
        polling->handlePost(connection, request);
    else
        polling->handleOther(connection, request);
}

void EngineServerPrivate::failPost(HttpConnection *connection, const HttpRequest &head, const QString &why)
{
    if (head.method != "POST")
        return;
    const EngineQuery query(head);
    EngineSession *session = query.sid.isEmpty() ? nullptr : sessions.value(query.sid);
    PollingTransport *polling = session ? session->d_func()->pollingTransport() : nullptr;
    if (!polling)
        return;
    polling->endPost(connection);
    qCInfo(lcEnginePolling) << "session" << session->id() << ":" << why;
    session->d_func()->onClose(QStringLiteral("transport error"), why);
}

void EngineServerPrivate::releasePost(HttpConnection *connection, const HttpRequest &head)
{
    if (head.method != "POST")
        return;
    const EngineQuery query(head);
    EngineSession *session = query.sid.isEmpty() ? nullptr : sessions.value(query.sid);
    if (PollingTransport *polling = session ? session->d_func()->pollingTransport() : nullptr)
        polling->endPost(connection);
}

void EngineServerPrivate::handshakePolling(HttpConnection *connection, const HttpRequest &request,
                                           const EngineRequest &engineRequest)
{
    Q_Q(EngineServer);
    const QString id = newSessionId(engineRequest);
    if (id.isEmpty()) {
        Verdict failed;
        failed.ok = false;
        failed.code = EngineError::BadRequest;
        failed.context = QStringLiteral("ID_GENERATION_ERROR");
        refuse(connection, request, false, failed, &engineRequest);
        return;
    }
    auto *session = new EngineSession(q);
    auto *transport = new PollingTransport(this, session);
    session->d_func()->init(this, id, engineRequest, transport);
    sessions.insert(id, session);
    appendToOrder(session);
    const CookieOptions &c = options.cookie;
    if (c.enabled) {
        // the value as the cookie package serializes it (encodeURIComponent): a custom generateId
        // may return any text
        QByteArray cookie = c.name.toUtf8() + '=' + QUrl::toPercentEncoding(id, "!'()*");
        if (c.maxAge >= 0)
            cookie += "; Max-Age=" + QByteArray::number(c.maxAge);
        if (!c.domain.isEmpty())
            cookie += "; Domain=" + c.domain.toUtf8();
        if (!c.path.isEmpty())
            cookie += "; Path=" + c.path.toUtf8();
        if (c.httpOnly)
            cookie += "; HttpOnly";
        if (c.secure)
            cookie += "; Secure";
        if (!c.sameSite.isEmpty())
            cookie += "; SameSite=" + c.sameSite.toUtf8();
        transport->setNextResponseHeaders({{"Set-Cookie", cookie}});
    }
    session->d_func()->sendOpen();
    QPointer<EngineSession> guard(session);
    transport->handleGet(connection, request);
    if (guard)
        Q_EMIT q->connection(session);
    else if (releaseId)
        releaseId(id);
}

void EngineServerPrivate::serveConnection(QTcpSocket *socket, const QByteArray &initialBytes)
{
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    new HttpConnection(socket, this, frontParent(), initialBytes);
}

void EngineServerPrivate::onNewTcpConnection()
{
    while (QTcpSocket *socket = tcpServer->takeAccepted())
        q_ptr->handleConnection(socket);
}

void EngineServerPrivate::onWebSocket()
{
    Q_Q(EngineServer);
    while (QWebSocket *ws = wsServer->nextPendingConnection()) {
        pendingUpgrades.removeIf([](const PendingUpgrade &p) { return p.socket.isNull(); });
        qsizetype index = -1;
        for (qsizetype i = 0; i < pendingUpgrades.size(); ++i) {
            if (pendingUpgrades.at(i).port == ws->peerPort()
                && pendingUpgrades.at(i).address == ws->peerAddress()) {
                index = i;
                break;
            }
        }
        if (index < 0) {
            qCWarning(lcEngineWebSocket) << "WebSocket without a validated upgrade request; dropped";
            ws->abort();
            ws->deleteLater();
            continue;
        }
        const PendingUpgrade pending = pendingUpgrades.takeAt(index);
        const quint64 max = quint64(qMax<qint64>(options.maxHttpBufferSize, 1));
        ws->setMaxAllowedIncomingMessageSize(max);
        ws->setMaxAllowedIncomingFrameSize(max);
        // The socket under ws is the one handed over in onHead(): frames we send go straight to it.
        if (!writeBatch)
            writeBatch = new WebSocketWriteBatch(q);
        auto *transport = new WebSocketTransport(ws, pending.socket.data(), writeBatch, frontParent(),
                                                 pending.supportsBinary, nullptr);
        // From now on the socket lives and dies with its QWebSocket (as a client QWebSocket's
        // own socket does), out of the short-lived objects under frontParent().
        if (pending.socket)
            pending.socket->setParent(ws);
        if (pending.sid.isEmpty()) {
            const QString id = newSessionId(pending.request);
            if (id.isEmpty()) {
                // the WebSocket handshake is done already: the connection is closed instead
                transport->close();
                delete transport;
                Q_EMIT q->connectionError(EngineError::BadRequest, engineErrorMessage(EngineError::BadRequest),
                                          pending.request);
                continue;
            }
            auto *session = new EngineSession(q);
            session->d_func()->init(this, id, pending.request, transport);
            sessions.insert(id, session);
            appendToOrder(session);
            session->d_func()->sendOpen();
            Q_EMIT q->connection(session);
            continue;
        }
        EngineSession *session = sessions.value(pending.sid);
        if (!session || !session->d_func()->canProbe()) {
            // The session closed or another probe won while the handshake ran.
            qCInfo(lcEngineWebSocket) << "upgrade for" << pending.sid
                                      << "not possible (session gone, upgraded or upgrading); closing";
            transport->close();
            delete transport;
            continue;
        }
        session->d_func()->startProbe(transport);
    }
}

void EngineServerPrivate::removeSession(EngineSession *session)
{
    sessions.remove(session->id());
    removeFromOrder(session);
    session->deleteLater();
}

void EngineServerPrivate::forgetSession(EngineSession *session)
{
    // Out of the order means out of the table too (removeSession() took it out of both).
    if (session->d_func()->orderIndex < 0)
        return;
    if (sessions.value(session->id()) == session)
        sessions.remove(session->id());
    removeFromOrder(session);
}

void EngineServerPrivate::appendToOrder(EngineSession *session)
{
    session->d_func()->orderIndex = sessionOrder.size();
    sessionOrder.append(session);
}

void EngineServerPrivate::removeFromOrder(EngineSession *session)
{
    qsizetype &index = session->d_func()->orderIndex;
    if (index < 0 || index >= sessionOrder.size() || sessionOrder.at(index) != session)
        return;
    sessionOrder[index] = nullptr;
    index = -1;
    ++sessionOrderHoles;
    if (sessionOrderHoles == sessionOrder.size()) {
        sessionOrder.clear();
        sessionOrderHoles = 0;
    } else if (sessionOrderHoles > 16 && sessionOrderHoles * 2 > sessionOrder.size()) {
        qsizetype kept = 0;
        for (qsizetype i = 0; i < sessionOrder.size(); ++i) {
            if (EngineSession *s = sessionOrder.at(i)) {
                s->d_func()->orderIndex = kept;
                sessionOrder[kept++] = s;
            }
        }
        sessionOrder.resize(kept);
        sessionOrderHoles = 0;
    }
}

QList<EngineSession *> EngineServerPrivate::orderedSessions() const
{
    if (sessionOrderHoles == 0)
        return sessionOrder;
    QList<EngineSession *> live;
    live.reserve(sessionOrder.size() - sessionOrderHoles);
    for (EngineSession *s : sessionOrder) {
        if (s)
            live.append(s);
    }
    return live;
}

// ---- EngineServer --------------------------------------------------------------------------

EngineServer::EngineServer(QObject *parent)
    : QObject(parent), d_ptr(new EngineServerPrivate(this))
{
    Q_D(EngineServer);
    d->tcpServer = new EngineTcpServer(this);
    // A listening socket cannot go through a proxy; without this an application-wide HTTP proxy
    // (QNetworkProxy::setApplicationProxy) makes listen() fail.
    d->tcpServer->setProxy(QNetworkProxy(QNetworkProxy::NoProxy));
    // Node's listen backlog (Qt's default is 50): with a short queue the kernel drops SYNs when the
    // server falls behind and clients retry after 1 s (docs/benchmarks.md, item 6).
    d->tcpServer->setListenBacklogSize(511);
    connect(d->tcpServer, &QTcpServer::newConnection, this, [d] { d->onNewTcpConnection(); });
    d->wsServer = new QWebSocketServer(QStringLiteral("libsocketio"),
                                       QWebSocketServer::NonSecureMode, this);
    connect(d->wsServer, &QWebSocketServer::newConnection, this, [d] { d->onWebSocket(); });
}

EngineServer::~EngineServer()
{
    Q_D(EngineServer);
    d->tcpServer->stop();
    const QList<EngineSession *> all = d->orderedSessions();
    d->sessions.clear();
    d->sessionOrder.clear();
    d->sessionOrderHoles = 0;
    qDeleteAll(all);
    // sessions closed by close() wait for deleteLater(); delete them while d_ptr, which their
    // destructor calls into, still exists
    qDeleteAll(findChildren<EngineSession *>(Qt::FindDirectChildrenOnly));
}

void EngineServer::setOptions(const EngineOptions &options)
{
    Q_D(EngineServer);
    d->options = options;
    if (!d->options.path.startsWith(QLatin1Char('/')))
        d->options.path.prepend(QLatin1Char('/'));
    // engine.io: the path without its trailing '/', and one added back with addTrailingSlash
    if (d->options.path.size() > 1 && d->options.path.endsWith(QLatin1Char('/')))
        d->options.path.chop(1);
    if (d->options.addTrailingSlash && !d->options.path.endsWith(QLatin1Char('/')))
        d->options.path += QLatin1Char('/');
    d->pathUtf8 = d->options.path.toUtf8();
}

EngineOptions EngineServer::options() const
{
    Q_D(const EngineServer);
    return d->options;
}

bool EngineServer::listen(const QHostAddress &address, quint16 port)
{
    Q_D(EngineServer);
    if (!d->tcpServer->start(address, port)) {
        d->errorString = d->tcpServer->errorString();
        qCWarning(lcEngine) << "listen failed:" << d->errorString;
        return false;
    }
    d->errorString.clear();
    return true;
}

bool EngineServer::isListening() const
{
    Q_D(const EngineServer);
    return d->tcpServer->isListening();
}

quint16 EngineServer::serverPort() const
{
    Q_D(const EngineServer);
    return d->tcpServer->serverPort();
}

QString EngineServer::errorString() const
{
    Q_D(const EngineServer);
    return d->errorString;
}

void EngineServer::handleConnection(QTcpSocket *socket)
{
    Q_D(EngineServer);
    if (!socket)
        return;
    // Like Node's http server (noDelay): replies go out at once instead of waiting for the peer's
    // ACK of an earlier segment. The option stays on the descriptor when a WebSocket upgrade hands
    // the socket to QWebSocketServer.
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    if (auto *engineSocket = dynamic_cast<EngineTcpSocket *>(socket))
        engineSocket->setWriteCeiling(d->options.maxBufferedBytesCeiling);
    new HttpConnection(socket, d, d->frontParent());
}

void EngineServer::close()
{
    Q_D(EngineServer);
    d->tcpServer->stop();
    // As engine.io's Server.close(), which closes each socket with discard: what is queued is
    // dropped and the transport released now (a parked GET gets the close packet, a WebSocket a
    // close frame: the client reports "transport close"); a polling session without a parked
    // GET ends at once instead of waiting for the next GET.
    // (slots of the closed signals run in the loop: one may delete other sessions, or this server)
    QList<QPointer<EngineSession>> all;
    for (EngineSession *session : d->orderedSessions())
        all.append(session);
    QPointer<EngineServer> guard(this);
    for (const QPointer<EngineSession> &session : std::as_const(all)) {
        if (!guard)
            return;
        if (session)
            EngineSessionPrivate::get(session)->onClose(QStringLiteral("forced close"),
                                                        QStringLiteral("server closed"));
    }
}

int EngineServer::clientsCount() const
{
    Q_D(const EngineServer);
    return int(d->sessions.size());
}

QList<EngineSession *> EngineServer::sessions() const
{
    Q_D(const EngineServer);
    return d->orderedSessions();
}

EngineSession *EngineServer::session(const QString &sid) const
{
    Q_D(const EngineServer);
    return d->sessions.value(sid);
}

} // namespace SocketIo
