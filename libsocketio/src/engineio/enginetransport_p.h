// The two Engine.IO transports behind one interface. A session talks to exactly one current
// transport (plus, during an upgrade, a probe transport); the server routes HTTP requests and
// WebSocket connections to them.
#pragma once

#include "enginesession.h"
#include "protocol/enginepacket.h"
#include "protocol/httprequest.h"

#include <QBasicTimer>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>

#include <chrono>
#include <deque>

QT_BEGIN_NAMESPACE
class QTcpSocket;
class QWebSocket;
QT_END_NAMESPACE

namespace SocketIo {

class HttpConnection;
class EngineServerPrivate;
class EngineSessionPrivate;

class EngineTransport : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~EngineTransport() override;

    virtual EngineSession::Transport kind() const = 0;
    /*! A send() now would go out at once. */
    virtual bool isWritable() const = 0;
    /*! Bytes handed to the socket that the peer has not taken yet (Qt's write buffer): while
        they go down, the peer is still reading (EngineOptions::writeStallTimeout). */
    virtual qint64 pendingWriteBytes() const = 0;
    /*! Sends \a packets; only called while isWritable(). */
    virtual void send(const QList<Protocol::EnginePacket> &packets) = 0;
    /*! The session ended: release the peer (polling: a parked GET gets "1"; WebSocket: close
        frame). Nothing is reported to the session afterwards. */
    virtual void close() = 0;
    /*! Server-initiated graceful close: the transport calls back closedGracefully() once the
        peer has been told (at once, or when the next GET arrives, or after a timeout). */
    virtual void closeGracefully() = 0;
    /*! Replaced by an upgraded transport: stop serving, release a parked request. */
    virtual void discard() = 0;

    /*! The session this transport reports to, as its current transport or as its upgrade
        probe (null: nobody). Direct calls instead of four signal connections per session: a
        transport has exactly one listener (docs/benchmarks.md, "Engine, second round"). */
    void setSink(EngineSessionPrivate *session) { m_sink = session; }

protected:
    // Reports to the sink (nothing without one). The sink may delete this transport's session,
    // and with it this transport: callers guard what they do afterwards.
    void packetReceived(const SocketIo::Protocol::EnginePacket &packet);
    /*! The transport became writable (a GET was parked; the WebSocket's writes drained). */
    void ready();
    /*! The transport failed or the peer closed it; the session closes with \a reason. */
    void failed(const QString &reason, const QString &description);
    void closedGracefully();

private:
    EngineSessionPrivate *m_sink = nullptr;
};

/*! HTTP long-polling: at most one parked GET and one POST in flight. */
class PollingTransport final : public EngineTransport
{
    Q_OBJECT
public:
    PollingTransport(EngineServerPrivate *server, QObject *parent);
    ~PollingTransport() override;

    EngineSession::Transport kind() const override { return EngineSession::Transport::Polling; }
    bool isWritable() const override;
    qint64 pendingWriteBytes() const override;
    void send(const QList<Protocol::EnginePacket> &packets) override;
    void close() override;
    void closeGracefully() override;
    void discard() override;

    /*! Extra headers for the next GET response (Set-Cookie on the handshake). */
    void setNextResponseHeaders(const QList<QPair<QByteArray, QByteArray>> &headers);
    /*! Releases a parked GET with a noop packet (during an upgrade). */
    void sendNoop();

    /*! A GET for this session arrived on \a connection. */
    void handleGet(HttpConnection *connection, const Protocol::HttpRequest &request);
    /*! The head of a POST arrived; its body is still coming. Returns false if another POST is
        in flight (the session is then closed). */
    bool beginPost(HttpConnection *connection);
    /*! A complete POST arrived. */
    void handlePost(HttpConnection *connection, const Protocol::HttpRequest &request);
    /*! The POST on \a connection was refused or given up before handlePost(): frees the slot
        beginPost() took, without closing the session. */
    void endPost(HttpConnection *connection);
    /*! A request with a method other than GET/POST: 500. */
    void handleOther(HttpConnection *connection, const Protocol::HttpRequest &request);

protected:
    void timerEvent(QTimerEvent *event) override;

private:
    /*! Answers the parked GET with \a payload, HTTP-compressed (httpCompression) if \a compress
        (one of its packets asked for it), it is large enough and the GET accepts an encoding. */
    void respondPayload(const QByteArray &payload, bool compress);
    void watch(HttpConnection *connection);

    EngineServerPrivate *m_server;
    QPointer<HttpConnection> m_get;
    Protocol::HttpRequest m_getRequest;
    QPointer<HttpConnection> m_post;
    QPointer<HttpConnection> m_lastResponse;   // the last GET answered (pendingWriteBytes())
    QMetaObject::Connection m_getWatch;
    QMetaObject::Connection m_postWatch;
    QList<QPair<QByteArray, QByteArray>> m_nextHeaders;
    bool m_initialResponse = true;   // the next response answers the handshake
    bool m_shouldClose = false;
    bool m_discarded = false;
    bool m_closed = false;
    // A server-initiated close waiting for the next GET (PollingCloseTimeout). A QBasicTimer:
    // no QObject and no connection per polling transport for a timer that rarely runs.
    QBasicTimer m_closeTimer;
};

class EngineTcpSocket;
class WebSocketTransport;

/*!
  What the WebSocket transports of one EngineServer share.

  The transports that have frames to write, written out together once per event-loop pass: one
  posted event for all of them, before the loop polls again. Several messages for one peer in
  the same pass (a burst) go out in one write(2); a single one goes out without a write-notifier
  round trip through poll(). The frames wait in their transport until then (only a close writes
  them earlier): a transport it does not flush stays unwritable.

  And the deadlines of the closing handshakes of the WebSockets the server closed: one timer for
  all of them, where a QTimer::singleShot per socket costs an object and a sorted insertion among
  all the thread's timers (a server closing thousands of connections at once).
*/
class WebSocketWriteBatch : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~WebSocketWriteBatch() override;
    void add(WebSocketTransport *transport);
    /*! \a transport, added in this pass, is being destroyed: it is skipped. */
    void forget(WebSocketTransport *transport);
    /*! Flushes every transport added since the last pass (also those added meanwhile). */
    void flushAll();
    qsizetype pending() const { return m_dirty.size(); }

    /*! \a socket is in its closing handshake: aborted and deleted later unless it is gone
        within WebSocketCloseTimeout. */
    void abortUnlessGoneInTime(QWebSocket *socket);
    static constexpr std::chrono::milliseconds WebSocketCloseTimeout{5000};

protected:
    void timerEvent(QTimerEvent *event) override;

private:
    // Plain pointers: a QPointer per delivery cost a reference count on each transport's shared
    // guard (docs/benchmarks.md); a transport leaving in the pass nulls its slot (forget()).
    QList<WebSocketTransport *> m_dirty;
    bool m_posted = false;
    // Closing sockets by deadline; one timeout for all, so the queue is in deadline order.
    struct Closing
    {
        qint64 deadline;
        QPointer<QWebSocket> socket;
    };
    std::deque<Closing> m_closing;
    QElapsedTimer m_clock;
    QBasicTimer m_closeTimer;   // armed for m_closing's first deadline
};

/*!
  One QWebSocket; one Engine.IO packet per message. QWebSocket reads (frames, pings, the closing
  handshake); the frames we send are written by this class itself on the QTcpSocket under the
  QWebSocket (the same socket the HTTP front handed to QWebSocketServer): one unmasked frame per
  packet, collected in this transport's own list of pieces (small frames in one array, large
  payloads shared), which the WebSocketWriteBatch writes once per event-loop pass (without one:
  at the end of send()): on an EngineTcpSocket with one sendmsg(2) while the peer keeps up,
  else through the socket's buffer. Text goes out as the UTF-8 bytes we encoded (QWebSocket 6.4
  only takes QString).
*/
class WebSocketTransport final : public EngineTransport
{
    Q_OBJECT
public:
    /*! \a tcp is the socket under \a socket; null: every frame goes through QWebSocket.
        \a closingParent keeps the QWebSocket (and its socket) from close() until its closing
        handshake ended (null: no parent meanwhile). */
    WebSocketTransport(QWebSocket *socket, QTcpSocket *tcp, WebSocketWriteBatch *batch,
                       QObject *closingParent, bool supportsBinary, QObject *parent);
    ~WebSocketTransport() override;

    EngineSession::Transport kind() const override { return EngineSession::Transport::WebSocket; }
    bool isWritable() const override;
    qint64 pendingWriteBytes() const override;
    void send(const QList<Protocol::EnginePacket> &packets) override;
    void close() override;
    void closeGracefully() override;
    void discard() override;

    /*! Hands the frames collected in this pass to the socket now (EngineTcpSocket::setFramesFirst()). */
    void writeCollected();

    /*! Writes the WebSocket frame header (FIN set, unmasked) for a payload of \a size bytes to
        \a header (room for MaxFrameHeaderSize); returns its size. */
    static qsizetype writeFrameHeader(char *header, bool binary, qint64 size);
    static constexpr qsizetype MaxFrameHeaderSize = 10;
    /*! Payloads up to this size are copied behind their header and written with it. */
    static constexpr qsizetype SmallFramePayload = 1024;
    /*! The UTF-8 payload of \a packet's text frame: a framed packet's own bytes (shared, not
        copied), else its text form with invalid UTF-8 replaced by U+FFFD. */
    static QByteArray textPayload(const Protocol::EnginePacket &packet);

private:
    friend class WebSocketWriteBatch;
    void onText(const QString &message);
    void onBinary(const QByteArray &message);
    void writeFrame(bool binary, const QByteArray &payload);
    void flushNow();
    void writePending();   // m_pending into the socket (or the kernel), in order

    QWebSocket *m_socket;
    QPointer<QTcpSocket> m_tcp;
    EngineTcpSocket *m_direct = nullptr;   // m_tcp, when it is one of the engine's sockets
    // Frames not yet handed to the socket: small ones appended to the last piece while
    // m_lastPieceOwn, a large payload as its own (shared) piece.
    QList<QByteArray> m_pending;
    bool m_lastPieceOwn = false;
    QPointer<WebSocketWriteBatch> m_batch;
    QPointer<QObject> m_closingParent;
    bool m_supportsBinary;
    bool m_closed = false;
    bool m_inBatch = false;
    qsizetype m_batchIndex = -1;   // its slot in the batch while m_inBatch
};

} // namespace SocketIo
