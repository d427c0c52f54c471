#include "enginetransport_p.h"

#include "enginelogging_p.h"
#include "engineserver_p.h"
#include "enginesession_p.h"
#include "httpcompression_p.h"

#include <QTcpSocket>
#include <QTimer>
#include <QTimerEvent>
#include <QWebSocket>
#include <QtEndian>

#include <algorithm>
#include <cstring>
#include <utility>

namespace SocketIo {

using Protocol::EnginePacket;
using Protocol::EnginePacketType;

namespace {
// engine.io's closeTimeout: how long a server-initiated close waits for the next GET.
constexpr std::chrono::seconds PollingCloseTimeout{30};

// The headers engine.io's polling transport adds to every response: no caching, and
// "X-XSS-Protection: 0" for Internet Explorer 8-11 (its XSS filter mangled the payloads).
void addPollingHeaders(HttpHeaders &headers, const Protocol::HttpRequest &request)
{
    const QByteArray ua = request.header("user-agent");
    if (ua.contains(";MSIE") || ua.contains("Trident/"))
        headers.emplaceBack(QByteArray("X-XSS-Protection"), QByteArray("0"));
    headers.emplaceBack(QByteArray("cache-control"), QByteArray("no-store"));
}
} // namespace

EngineTransport::~EngineTransport() = default;

void EngineTransport::packetReceived(const EnginePacket &packet)
{
    if (m_sink)
        m_sink->onTransportPacket(this, packet);
}

void EngineTransport::ready()
{
    if (m_sink)
        m_sink->onTransportReady(this);
}

void EngineTransport::failed(const QString &reason, const QString &description)
{
    if (m_sink)
        m_sink->onTransportFailed(this, reason, description);
}

void EngineTransport::closedGracefully()
{
    if (m_sink)
        m_sink->onTransportClosedGracefully(this);
}

// ---- PollingTransport ----------------------------------------------------------------------

PollingTransport::PollingTransport(EngineServerPrivate *server, QObject *parent)
    : EngineTransport(parent), m_server(server)
{
}

PollingTransport::~PollingTransport() = default;

void PollingTransport::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != m_closeTimer.timerId()) {
        EngineTransport::timerEvent(event);
        return;
    }
    m_closeTimer.stop();
    qCInfo(lcEnginePolling) << "no GET arrived to deliver the close packet; closing anyway";
    m_shouldClose = false;
    closedGracefully();
}

bool PollingTransport::isWritable() const
{
    return !m_closed && m_get;
}

void PollingTransport::setNextResponseHeaders(const HttpHeaders &headers)
{
    m_nextHeaders = headers;
}

void PollingTransport::handleGet(HttpConnection *connection, const Protocol::HttpRequest &request)
{
    if (m_get) {
        qCInfo(lcEnginePolling) << "second concurrent GET on one session: closing it";
        connection->respond(400, m_server->corsHeaders(request), {});
        failed(QStringLiteral("transport error"), QStringLiteral("overlap from client"));
        return;
    }
    m_get = connection;
    m_getRequest = request;
    m_getWatch = connect(connection, &HttpConnection::aborted, this, [this] {
        m_get = nullptr;
        if (m_closed)
            return;
        qCInfo(lcEnginePolling) << "poll connection closed prematurely";
        failed(QStringLiteral("transport error"),
                      QStringLiteral("poll connection closed prematurely"));
    });
    ready();
    // Nothing was queued: a pending server-side close still has to reach the client, as in
    // engine.io after a noop ("6\x1e1"), which (like the close packet) asks for no compression.
    if (m_get == connection && m_shouldClose) {
        EnginePacket noop = EnginePacket::text(EnginePacketType::Noop);
        noop.compress = false;
        send({noop});
    }
}

bool PollingTransport::beginPost(HttpConnection *connection)
{
    if (m_post && m_post != connection)
        return false;
    if (m_post == connection)
        return true;
    m_post = connection;
    m_postWatch = connect(connection, &HttpConnection::aborted, this, [this] {
        m_post = nullptr;
        if (m_closed)
            return;
        qCInfo(lcEnginePolling) << "data request connection closed prematurely";
        failed(QStringLiteral("transport error"),
                      QStringLiteral("data request connection closed prematurely"));
    });
    return true;
}

void PollingTransport::endPost(HttpConnection *connection)
{
    if (!m_post || m_post != connection)
        return;
    disconnect(m_postWatch);
    m_post = nullptr;
}

void PollingTransport::handlePost(HttpConnection *connection, const Protocol::HttpRequest &request)
{
    endPost(connection);
    HttpHeaders headers = m_server->corsHeaders(request);
    // v4 payloads are always text; engine.io refuses binary bodies and drops the session.
    if (request.header("content-type").toLower().startsWith("application/octet-stream")) {
        qCInfo(lcEnginePolling) << "POST with Content-Type application/octet-stream refused";
        connection->respond(400, headers, {});
        failed(QStringLiteral("transport error"), QStringLiteral("invalid content-type"));
        return;
    }
    QList<EnginePacket> packets;
    QString error;
    // engine.io reads a POST body as a string (Buffer.toString(): UTF-8, each invalid sequence
    // U+FFFD) and goes on; only a WebSocket text frame must be valid UTF-8 (ws closes with 1007)
    QByteArray replaced;
    if (Q_UNLIKELY(!QByteArrayView(request.body).isValidUtf8())) {
        qCDebug(lcEnginePolling) << "invalid UTF-8 in a POST body replaced with U+FFFD, as engine.io reads it";
        replaced = QString::fromUtf8(request.body).toUtf8();
    }
    const bool ok = Protocol::decodePayload(replaced.isNull() ? request.body : replaced, &packets, &error);
    // The handlers below may delete the session and so this transport; the server (and the
    // connection, its child) outlives them, or the connection is gone too.
    EngineServerPrivate *const server = m_server;
    QPointer<HttpConnection> guard(connection);
    QPointer<PollingTransport> self(this);
    for (const EnginePacket &packet : std::as_const(packets)) {
        if (!self || m_closed)
            break;
        packetReceived(packet);
    }
    if (self && !m_closed && !ok) {
        qCInfo(lcEnginePolling) << "invalid payload in POST:" << error;
        failed(QStringLiteral("parse error"), error);
    }
    if (guard) {
        headers.emplaceBack(QByteArray("Content-Type"), "text/html");
        addPollingHeaders(headers, request);
        if (server->hasHeaderHooks()) {
            server->applyHeaderHooks(headers, false, server->makeEngineRequest(request, guard->socket()));
            if (!guard)
                return;
        }
        guard->respond(200, headers, QByteArrayLiteral("ok"));
    }
}

void PollingTransport::handleOther(HttpConnection *connection, const Protocol::HttpRequest &request)
{
    qCInfo(lcEnginePolling) << "method" << request.method << "not allowed on a polling session";
    connection->respond(500, m_server->corsHeaders(request), {});
}

void PollingTransport::send(const QList<EnginePacket> &packets)
{
    if (!isWritable())
        return;
    // engine.io compresses the response when at least one of its packets asks for it (an emit's
    // compress flag; the close packet the transport appends asks for nothing).
    const bool compress = std::any_of(packets.cbegin(), packets.cend(),
                                      [](const EnginePacket &p) { return p.compress; });
    const bool closing = m_shouldClose;
    if (closing) {
        QList<EnginePacket> all = packets;
        all.append(EnginePacket::text(EnginePacketType::Close));
        respondPayload(Protocol::encodePayload(all), compress);
    } else {
        respondPayload(Protocol::encodePayload(packets), compress);
    }
    if (closing) {
        m_shouldClose = false;
        m_closeTimer.stop();
        closedGracefully();
    }
}

qint64 PollingTransport::pendingWriteBytes() const
{
    const HttpConnection *last = m_lastResponse;
    return last && last->socket() ? last->socket()->bytesToWrite() : 0;
}

void PollingTransport::respondPayload(const QByteArray &payload, bool compress)
{
    HttpConnection *connection = m_get;
    m_get = nullptr;
    disconnect(m_getWatch);
    if (!connection)
        return;
    m_lastResponse = connection;
    HttpHeaders headers = m_server->corsHeaders(m_getRequest);
    headers.emplaceBack(QByteArray("Content-Type"), "text/plain; charset=UTF-8");
    addPollingHeaders(headers, m_getRequest);
    QByteArray compressed;
    const HttpCompressionOptions &compression = m_server->options.httpCompression;
    if (compress && compression.enabled && payload.size() >= compression.threshold) {
        const QByteArray encoding = Internal::chooseHttpEncoding(m_getRequest.header("accept-encoding"));
        if (!encoding.isEmpty())
            compressed = Internal::httpCompress(payload, encoding, compression.level);
        if (!compressed.isEmpty())   // empty: qCompress() failed (out of memory); sent as it is
            headers.emplaceBack(QByteArray("Content-Encoding"), encoding);
    }
    headers.append(m_nextHeaders);   // the cookie of the handshake's response
    m_nextHeaders.clear();
    // Only a handshake's GET reaches a polling transport without a sid: its first response.
    const bool initial = std::exchange(m_initialResponse, false);
    if (m_server->hasHeaderHooks()) {
        QPointer<HttpConnection> guard(connection);
        m_server->applyHeaderHooks(headers, initial, m_server->makeEngineRequest(m_getRequest, connection->socket()));
        if (!guard)
            return;
    }
    connection->respond(200, headers, compressed.isEmpty() ? payload : compressed);
}

void PollingTransport::sendNoop()
{
    if (isWritable())
        respondPayload(QByteArrayLiteral("6"), false);
}

void PollingTransport::close()
{
    if (m_closed)
        return;
    m_closed = true;
    m_closeTimer.stop();
    if (m_get)
        respondPayload(QByteArrayLiteral("1"), false);
    disconnect(m_postWatch);
}

void PollingTransport::closeGracefully()
{
    if (m_closed)
        return;
    if (m_get) {
        m_shouldClose = true;
        send({});
    } else if (m_discarded) {
        closedGracefully();
    } else {
        m_shouldClose = true;
        m_closeTimer.start(int(std::chrono::milliseconds(PollingCloseTimeout).count()), this);
    }
}

void PollingTransport::discard()
{
    m_discarded = true;
    if (m_get)
        respondPayload(QByteArrayLiteral("6"), false);
    m_closed = true;
    disconnect(m_postWatch);
}

// ---- WebSocketTransport --------------------------------------------------------------------

// ---- WebSocketWriteBatch -------------------------------------------------------------------

WebSocketWriteBatch::~WebSocketWriteBatch() = default;

void WebSocketWriteBatch::add(WebSocketTransport *transport)
{
    if (!transport->m_inBatch) {
        transport->m_inBatch = true;
        transport->m_batchIndex = m_dirty.size();
        m_dirty.append(transport);
    }
    if (!m_posted) {
        m_posted = true;
        QMetaObject::invokeMethod(this, &WebSocketWriteBatch::flushAll, Qt::QueuedConnection);
    }
}

void WebSocketWriteBatch::forget(WebSocketTransport *transport)
{
    const qsizetype i = transport->m_batchIndex;
    if (i >= 0 && i < m_dirty.size() && m_dirty.at(i) == transport)
        m_dirty[i] = nullptr;
}

void WebSocketWriteBatch::flushAll()
{
    // A flush tells the session it may go on (ready(), or bytesWritten from the socket's own
    // flush), on which it sends what it queued meanwhile: such transports are appended and
    // flushed in this same pass (m_posted stays set meanwhile, so they post nothing).
    for (qsizetype i = 0; i < m_dirty.size(); ++i) {
        if (WebSocketTransport *t = m_dirty.at(i)) {
            t->m_inBatch = false;
            t->flushNow();
        }
    }
    m_dirty.clear();
    m_posted = false;
}

void WebSocketWriteBatch::abortUnlessGoneInTime(QWebSocket *socket)
{
    if (!m_clock.isValid())
        m_clock.start();
    m_closing.push_back({m_clock.elapsed() + WebSocketCloseTimeout.count(), socket});
    if (!m_closeTimer.isActive())
        m_closeTimer.start(int(WebSocketCloseTimeout.count()), this);
}

void WebSocketWriteBatch::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != m_closeTimer.timerId()) {
        QObject::timerEvent(event);
        return;
    }
    m_closeTimer.stop();
    const qint64 now = m_clock.elapsed();
    while (!m_closing.empty() && m_closing.front().deadline <= now) {
        const QPointer<QWebSocket> socket = std::move(m_closing.front().socket);
        m_closing.pop_front();
        if (socket) {
            qCInfo(lcEngineWebSocket) << "closing handshake not completed in time; dropping the connection";
            socket->abort();
            socket->deleteLater();
        }
    }
    if (!m_closing.empty())
        m_closeTimer.start(int(qMax(qint64(0), m_closing.front().deadline - now)), this);
}

// ---- WebSocketTransport --------------------------------------------------------------------

WebSocketTransport::WebSocketTransport(QWebSocket *socket, QTcpSocket *tcp,
                                       WebSocketWriteBatch *batch, QObject *closingParent,
                                       bool supportsBinary, QObject *parent)
    : EngineTransport(parent), m_socket(socket), m_tcp(tcp), m_batch(batch),
      m_closingParent(closingParent), m_supportsBinary(supportsBinary)
{
    m_direct = dynamic_cast<EngineTcpSocket *>(tcp);
    if (m_direct)
        m_direct->setFramesFirst(this);
    socket->setParent(this);
    connect(socket, &QWebSocket::textMessageReceived, this, &WebSocketTransport::onText);
    connect(socket, &QWebSocket::binaryMessageReceived, this, &WebSocketTransport::onBinary);
    // Writable again once the peer has taken everything: the session then flushes what it
    // queued meanwhile (in order) and volatile packets are no longer dropped.
    connect(socket, &QWebSocket::bytesWritten, this, [this] {
        if (isWritable())
            ready();
    });
    connect(socket, &QWebSocket::disconnected, this, [this] {
        if (m_closed)
            return;
        m_closed = true;
        const QWebSocketProtocol::CloseCode code = m_socket->closeCode();
        const QString why = QStringLiteral("websocket closed (code %1 %2)")
                                .arg(int(code)).arg(m_socket->closeReason());
        qCInfo(lcEngineWebSocket) << why;
        // What QtWebSockets closes with when the peer breaks the protocol (a message over
        // maxHttpBufferSize, invalid UTF-8, a bad frame) is an error, as ws reports it to
        // engine.io ("error", then "transport error"); a close the peer asked for, or a lost
        // connection, is "transport close".
        const bool protocolError = code == QWebSocketProtocol::CloseCodeProtocolError
            || code == QWebSocketProtocol::CloseCodeDatatypeNotSupported
            || code == QWebSocketProtocol::CloseCodeWrongDatatype
            || code == QWebSocketProtocol::CloseCodeTooMuchData;
        failed(protocolError ? QStringLiteral("transport error") : QStringLiteral("transport close"), why);
    });
}

WebSocketTransport::~WebSocketTransport()
{
    // With m_closed set, every slot of this transport returns at once: nothing the socket emits
    // while it is deleted below reaches anyone. The connections go with the socket: a
    // disconnect(this) first would search all of QWebSocket's signals for them, for nothing.
    m_closed = true;
    if (m_inBatch && m_batch)
        m_batch->forget(this);
    if (m_tcp && m_direct)
        m_direct->setFramesFirst(nullptr);
    if (m_socket) {
        if (m_socket->parent() != this) {
            m_socket->disconnect(this);
        } else {
            // A socket that disconnected has deleted itself later already (QtWebSockets connects
            // its disconnected() to deleteLater()). Deleted now with its QWebSocket, with that
            // DeferredDelete still posted, it would make Qt search the thread's whole
            // posted-event list, which holds an entry per connection closing in the same burst
            // (docs/benchmarks.md, "Engine, third round"). It leaves by its own event instead,
            // under the engine meanwhile, which deletes it if it goes first.
            if (m_tcp && m_tcp->parent() == m_socket
                && m_tcp->state() == QAbstractSocket::UnconnectedState)
                m_tcp->setParent(m_closingParent);
            delete m_socket;
        }
    }
}

qint64 WebSocketTransport::pendingWriteBytes() const
{
    if (!m_tcp)
        return m_socket ? m_socket->bytesToWrite() : 0;
    // frames collected for the end of this pass (send()), then what waits in the socket
    qint64 collected = 0;
    for (const QByteArray &piece : m_pending)
        collected += piece.size();
    return collected + m_tcp->bytesToWrite();
}

bool WebSocketTransport::isWritable() const
{
    // Like engine.io's ws transport (writable only between a send and its callback): nothing may
    // wait in the socket, so a peer that stops reading makes the session queue, where the
    // queue is bounded (maxBufferedBytes with writeStallTimeout, maxBufferedBytesCeiling),
    // instead of growing QTcpSocket's buffer without bound.
    return !m_closed && m_socket->state() == QAbstractSocket::ConnectedState
        && m_pending.isEmpty()
        && (m_tcp ? m_tcp->bytesToWrite() : m_socket->bytesToWrite()) == 0;
}

void WebSocketTransport::send(const QList<EnginePacket> &packets)
{
    if (m_closed)
        return;
    if (!m_tcp) {
        for (const EnginePacket &packet : packets) {
            if (packet.binary && m_supportsBinary)
                m_socket->sendBinaryMessage(packet.data);
            else
                m_socket->sendTextMessage(QString::fromUtf8(textPayload(packet)));
        }
        return;
    }
    // Like QWebSocket::sendTextMessage(), nothing is written unless the WebSocket is open (not
    // after a closing handshake QWebSocket started itself, e.g. on a protocol error).
    if (m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    for (const EnginePacket &packet : packets) {
        if (packet.binary && m_supportsBinary)
            writeFrame(true, packet.data);
        else
            writeFrame(false, textPayload(packet));
    }
    // Written out with everything else sent in this event-loop pass (one write(2) per socket);
    // what the kernel does not take waits in the socket's buffer and goes out on its write
    // notifier. isWritable() is false while anything waits, so the session queues meanwhile.
    if (m_batch)
        m_batch->add(this);
    else
        flushNow();
}

void WebSocketTransport::flushNow()
{
    if (m_closed || !m_tcp || m_socket->state() != QAbstractSocket::ConnectedState) {
        m_pending.clear();
        m_lastPieceOwn = false;
        return;
    }
    if (!m_pending.isEmpty())
        writePending();
    if (m_tcp->bytesToWrite() > 0) {
        // In the socket's buffer (someone else's socket, from EngineServer::handleConnection(),
        // a large payload, or a peer that is behind): its flush emits bytesWritten, on which the
        // session goes on once the buffer is empty.
        m_tcp->flush();
        return;
    }
    // Bytes the kernel took at once emit no bytesWritten: the session is told here that it may
    // go on (with what it queued meanwhile), also when the frames left before a write of
    // QWebSocket's own (writeCollected()).
    if (isWritable())
        ready();
}

void WebSocketTransport::writeCollected()
{
    if (!m_closed && !m_pending.isEmpty() && m_tcp)
        writePending();
}

void WebSocketTransport::writePending()
{
    const QList<QByteArray> pieces = std::exchange(m_pending, {});
    m_lastPieceOwn = false;
    if (m_direct) {
        m_direct->writePieces(pieces);
    } else {
        for (const QByteArray &piece : pieces)
            m_tcp->write(piece);
    }
}

void WebSocketTransport::writeFrame(bool binary, const QByteArray &payload)
{
    // Collected (written out once per pass, see send()), so the peer gets the frames of a pass
    // in one segment. A small payload goes behind its header in the last piece; a larger one
    // follows its header as its own piece, not copied.
    char header[MaxFrameHeaderSize];
    const qsizetype headerSize = writeFrameHeader(header, binary, payload.size());
    if (!m_lastPieceOwn) {
        m_pending.append(QByteArray());
        m_pending.last().reserve(headerSize + (payload.size() <= SmallFramePayload ? payload.size() : 0));
        m_lastPieceOwn = true;
    }
    QByteArray &own = m_pending.last();
    own.append(header, headerSize);
    if (payload.size() <= SmallFramePayload) {
        own.append(payload);
        return;
    }
    m_pending.append(payload);
    m_lastPieceOwn = false;
}

qsizetype WebSocketTransport::writeFrameHeader(char *header, bool binary, qint64 size)
{
    // RFC 6455 5.2: FIN + opcode, then the payload length in 7 bits, or 126 + 16 bits, or
    // 127 + 64 bits (network byte order); server frames carry no mask.
    header[0] = char(0x80 | (binary ? 0x2 : 0x1));
    if (size < 126) {
        header[1] = char(size);
        return 2;
    }
    if (size <= 0xFFFF) {
        header[1] = char(126);
        qToBigEndian<quint16>(quint16(size), header + 2);
        return 4;
    }
    header[1] = char(127);
    qToBigEndian<quint64>(quint64(size), header + 2);
    return MaxFrameHeaderSize;
}

QByteArray WebSocketTransport::textPayload(const EnginePacket &packet)
{
    // A framed message (a Socket.IO packet the library encoded, once per broadcast) is its own
    // frame payload: every recipient shares the same bytes, valid UTF-8 by construction.
    if (packet.framed)
        return packet.data;
    QByteArray utf8 = Protocol::encodeEnginePacket(packet);
    // A text frame must be valid UTF-8 (the peer fails the connection otherwise). Bytes an
    // application passed to EngineSession::sendText() may not be: they get U+FFFD for invalid
    // sequences, as QWebSocket's QString did.
    if (!QByteArrayView(utf8).isValidUtf8())
        utf8 = QString::fromUtf8(utf8).toUtf8();
    return utf8;
}

void WebSocketTransport::onText(const QString &message)
{
    if (m_closed)
        return;
    // QString::toUtf8() gives valid UTF-8 (a lone surrogate becomes '?'; QWebSocket refuses
    // invalid text frames anyway): no second check, no copy of the data
    EnginePacket packet;
    QString error;
    if (!Protocol::decodeValidUtf8EnginePacket(message.toUtf8(), &packet, &error)) {
        qCInfo(lcEngineWebSocket) << "invalid packet:" << error;
        failed(QStringLiteral("parse error"), error);
        return;
    }
    packetReceived(packet);
}

void WebSocketTransport::onBinary(const QByteArray &message)
{
    if (m_closed)
        return;
    packetReceived(EnginePacket::bytes(message));
}

void WebSocketTransport::close()
{
    if (m_closed)
        return;
    // Frames sent before the close go out before its close frame.
    if (!m_pending.isEmpty() && m_tcp && m_socket->state() == QAbstractSocket::ConnectedState)
        writePending();
    m_closed = true;
    if (m_tcp && m_direct)
        m_direct->setFramesFirst(nullptr);
    // The socket outlives this transport until the closing handshake is done, otherwise the
    // close frame would be lost when the session is deleted.
    QWebSocket *socket = m_socket;
    // The socket stays connected to this transport (whose slots return at once from now on, see
    // m_closed) until the transport is deleted, which removes those connections.
    // Under the engine (not the session, which goes away now), so that the engine still sees
    // the socket while its last bytes leave, and deletes it if it goes first.
    socket->setParent(m_closingParent);
    m_socket = nullptr;
    if (socket->state() == QAbstractSocket::UnconnectedState) {
        socket->deleteLater();
        return;
    }
    QObject::connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
    if (m_batch) {
        m_batch->abortUnlessGoneInTime(socket);
    } else {
        QTimer::singleShot(WebSocketWriteBatch::WebSocketCloseTimeout, socket, [socket] {
            socket->abort();
            socket->deleteLater();
        });
    }
    socket->close(QWebSocketProtocol::CloseCodeNormal);
}

void WebSocketTransport::closeGracefully()
{
    close();
    closedGracefully();
}

void WebSocketTransport::discard()
{
    close();
}

} // namespace SocketIo
