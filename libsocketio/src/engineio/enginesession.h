#pragma once

#include <SocketIo/engineoptions.h>
#include <SocketIo/socketio_export.h>

#include <QObject>

#include <memory>

namespace SocketIo {

class EngineSessionPrivate;
class EngineServer;

/*!
  One Engine.IO session (engine.io's Socket): a sid, the current transport (polling or websocket,
  switching once on upgrade), the server-side heartbeat and the outgoing buffer.

  Signals are emitted on the owner's thread. After closed() the session sends and receives
  nothing and is deleted later by the server.
*/
class SOCKETIO_EXPORT EngineSession : public QObject
{
    Q_OBJECT
public:
    enum class Transport { Polling, WebSocket };
    Q_ENUM(Transport)
    enum class State { Open, Closing, Closed };
    Q_ENUM(State)

    ~EngineSession() override;

    QString id() const;
    Transport transport() const;
    /*! "polling" or "websocket". */
    QString transportName() const;
    State state() const;
    bool isUpgraded() const;
    /*! The request that opened the session. */
    const EngineRequest &request() const;
    int protocolVersion() const;   // 4

    /*! Options of one send (engine.io's send options). */
    enum SendFlag {
        NoSendFlags = 0x0,
        /*! engine.io's `{compress: false}`: the message does not ask for HTTP compression
            (EngineOptions::httpCompression) of the polling response that carries it. As in
            engine.io, a response is compressed when at least one packet in it asks for it
            (every packet does by default, the engine's own open and ping packets included), so
            a message sent with this flag may still travel compressed next to others. No effect
            on WebSocket (perMessageDeflate is not supported). */
        NoCompress = 0x1,
    };
    Q_DECLARE_FLAGS(SendFlags, SendFlag)
    Q_FLAG(SendFlags)

    /*! Queues a text message (Engine.IO packet 4) with UTF-8 \a data. The send functions
        close the session ("transport error", "write buffer overflow") when more than
        EngineOptions::maxBufferedBytesCeiling would stay queued; more than
        EngineOptions::maxBufferedBytes closes it once the peer took nothing for
        EngineOptions::writeStallTimeout. */
    void sendText(const QByteArray &utf8);
    /*! \overload Queues a text message with the options \a flags (e.g. NoCompress). */
    void sendText(const QByteArray &utf8, SocketIo::EngineSession::SendFlags flags);
    /*! Queues a binary message. */
    void sendBinary(const QByteArray &bytes);
    /*! \overload Queues a binary message with the options \a flags. */
    void sendBinary(const QByteArray &bytes, SocketIo::EngineSession::SendFlags flags);
    /*! Queues several messages that must stay together and in order (a Socket.IO packet with its
        attachments): the text first, then each binary. One flush for all of them. */
    void sendMessages(const QByteArray &utf8, const QList<QByteArray> &binaries);
    /*! \overload Every message gets the options \a flags (socket.io passes an emit's compress
        flag to each of its Engine.IO packets, attachments included). */
    void sendMessages(const QByteArray &utf8, const QList<QByteArray> &binaries,
                      SocketIo::EngineSession::SendFlags flags);
    /*! Whether a packet sent now would go out at once (polling: a GET is parked; WebSocket:
        no write pending). Volatile Socket.IO packets are dropped when this is false. */
    bool isWritable() const;

    /*! Flushes what is queued, then closes with reason "forced close". Idempotent. */
    void close();
    /*! Closes immediately without flushing (reason "forced close"). */
    void abort();

    /*! Bytes received / sent over the session so far (payload bytes, for statistics). */
    quint64 bytesReceived() const;
    quint64 bytesSent() const;

Q_SIGNALS:
    /*! A message from the peer. On a session of a SocketIo::Server, the Socket.IO layer has
        taken it (decoded it; its handlers run later) before any slot connected here runs, and
        has handled the session's end before closed() reaches a slot. */
    void textMessageReceived(const QByteArray &utf8);
    void binaryMessageReceived(const QByteArray &bytes);
    /*! Emitted once when the session ends, with engine.io's reason ("transport close",
        "transport error", "ping timeout", "parse error", "forced close") and a description. */
    void closed(const QString &reason, const QString &description);
    /*! The session switched from polling to WebSocket. */
    void upgraded();
    /*! Everything queued so far has been handed to the transport. */
    void drained();
    /*! Statistics hook (engine.io's "packetCreate" with data): a packet carrying data (a text or
        binary message) was queued for the peer; \a bytes is the size of its data (UTF-8 bytes of a
        text, length of a binary). Packets without data (ping, noop, close) are not reported.
        Emitted only while something is connected to it: costs a flag test otherwise. */
    void dataPacketQueued(qint64 bytes);
    /*! Statistics hook (engine.io's "packet" with data): a packet carrying data arrived from the
        peer (before it is dispatched); \a bytes is the size of its data. Same cost rule. */
    void dataPacketReceived(qint64 bytes);

protected:
    /*! Arms the statistics hooks when something connects to them. */
    void connectNotify(const QMetaMethod &signal) override;
    /*! The upgrade's timers (its timeout, and the noops that release a parked GET meanwhile). */
    void timerEvent(QTimerEvent *event) override;

private:
    friend class EngineServer;
    friend class EngineServerPrivate;
    friend class EngineSessionPrivate;
    explicit EngineSession(QObject *parent = nullptr);
    std::unique_ptr<EngineSessionPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(EngineSession)
    Q_DISABLE_COPY(EngineSession)
};

} // namespace SocketIo

Q_DECLARE_OPERATORS_FOR_FLAGS(SocketIo::EngineSession::SendFlags)
