// The two Engine.IO transports behind one interface. A session talks to exactly one current
// transport (plus, during an upgrade, a probe transport); the server routes HTTP requests and
// WebSocket connections to them.
#pragma once

#include "enginesession.h"
#include "protocol/enginepacket.h"
#include "protocol/httprequest.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

QT_BEGIN_NAMESPACE
class QWebSocket;
QT_END_NAMESPACE

namespace SocketIo {

class HttpConnection;
class EngineServerPrivate;

class EngineTransport : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~EngineTransport() override;

    virtual EngineSession::Transport kind() const = 0;
    /*! A send() now would go out at once. */
    virtual bool isWritable() const = 0;
    /*! Sends \a packets; only called while isWritable(). */
    virtual void send(const QList<Protocol::EnginePacket> &packets) = 0;
    /*! The session ended: release the peer (polling: a parked GET gets "1"; WebSocket: close
        frame). No signal is emitted afterwards. */
    virtual void close() = 0;
    /*! Server-initiated graceful close: the transport calls back closedGracefully() once the
        peer has been told (at once, or when the next GET arrives, or after a timeout). */
    virtual void closeGracefully() = 0;
    /*! Replaced by an upgraded transport: stop serving, release a parked request. */
    virtual void discard() = 0;

Q_SIGNALS:
    void packetReceived(const SocketIo::Protocol::EnginePacket &packet);
    /*! The transport became writable (a GET was parked; the WebSocket's writes drained). */
    void ready();
    /*! The transport failed or the peer closed it; the session closes with \a reason. */
    void failed(const QString &reason, const QString &description);
    void closedGracefully();
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

private:
    void respondPayload(const QByteArray &payload);
    void watch(HttpConnection *connection);

    EngineServerPrivate *m_server;
    QPointer<HttpConnection> m_get;
    Protocol::HttpRequest m_getRequest;
    QPointer<HttpConnection> m_post;
    QMetaObject::Connection m_getWatch;
    QMetaObject::Connection m_postWatch;
    QList<QPair<QByteArray, QByteArray>> m_nextHeaders;
    bool m_shouldClose = false;
    bool m_discarded = false;
    bool m_closed = false;
    QTimer m_closeTimer;
};

/*! One QWebSocket; one Engine.IO packet per message. */
class WebSocketTransport final : public EngineTransport
{
    Q_OBJECT
public:
    WebSocketTransport(QWebSocket *socket, bool supportsBinary, QObject *parent);
    ~WebSocketTransport() override;

    EngineSession::Transport kind() const override { return EngineSession::Transport::WebSocket; }
    bool isWritable() const override;
    void send(const QList<Protocol::EnginePacket> &packets) override;
    void close() override;
    void closeGracefully() override;
    void discard() override;

private:
    void onText(const QString &message);
    void onBinary(const QByteArray &message);
    static QString textFrame(const Protocol::EnginePacket &packet);

    QWebSocket *m_socket;
    bool m_supportsBinary;
    bool m_closed = false;
};

} // namespace SocketIo
