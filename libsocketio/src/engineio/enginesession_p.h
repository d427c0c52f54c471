#pragma once

#include "enginesession.h"
#include "protocol/enginepacket.h"

#include <QBasicTimer>
#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <map>
#include <memory>

namespace SocketIo {

class EngineServerPrivate;
class EngineTransport;
class PollingTransport;

/*! During an upgrade, a parked GET is released with a noop this often (engine.io: 100 ms). */
inline constexpr std::chrono::milliseconds UpgradeNoopInterval{100};

/*!
  The heartbeat deadlines (next ping, or the pong's timeout) of every session of one
  EngineServer, behind one QTimer armed for the earliest. Each session has at most one entry;
  moving it (a pong) is O(log n), where a QTimer per session costs a linear search of the
  thread's timer list on every restart, plus a QObject and a connection per timer.
*/
class SessionDeadlines
{
public:
    using Queue = std::multimap<qint64, EngineSessionPrivate *>;

    SessionDeadlines();
    ~SessionDeadlines();

    /*! Milliseconds on the queue's monotonic clock. */
    qint64 now() const { return m_clock.elapsed(); }
    /*! (Re)places \a session's deadline at \a when; EngineSessionPrivate::onDeadline() is
        called once it has passed. */
    void schedule(EngineSessionPrivate *session, qint64 when);
    void cancel(EngineSessionPrivate *session);
    qsizetype size() const { return m_queue.size(); }
    /*! The one timer behind every deadline (for tests: it must be a precise one). */
    const QTimer &timer() const { return m_timer; }

private:
    void fire();
    void arm();

    QElapsedTimer m_clock;
    QTimer m_timer;
    Queue m_queue;
    qint64 m_armedFor = -1;   // deadline the timer is running for; -1: stopped
};

/*!
  The JSON of the Engine.IO open packet after the sid, for the options of one server: only the sid
  differs between its sessions (and the upgrades offered, which depend on the transport). Built on
  first use and again whenever one of the options it shows has changed (EngineServer::setOptions()).
*/
class OpenPacketTemplate
{
public:
    /*! The open packet's JSON for session \a sid. */
    QByteArray json(const EngineOptions &options, bool offerWebSocket, const QString &sid);

private:
    QByteArray m_tail[2];   // [offerWebSocket]: ","upgrades":[...],...}"
    bool m_built = false;
    qint64 m_pingInterval = -1;
    qint64 m_pingTimeout = -1;
    qint64 m_maxPayload = -1;
};

/*!
  Internal: the Socket.IO layer's client of a session (ServerClient) gets the session's messages
  and its close by a direct call, just before the signals, instead of three signal connections
  per session: those cost about 600 bytes per connection (connection objects and both objects'
  connection tables; docs/benchmarks.md, "What bounds the missed targets"). One per session.
*/
class EngineSessionReceiver
{
public:
    virtual void sessionText(const QByteArray &utf8) = 0;
    virtual void sessionBinary(const QByteArray &bytes) = 0;
    virtual void sessionClosed(const QString &reason, const QString &description) = 0;

protected:
    ~EngineSessionReceiver() = default;
};

class EngineSessionPrivate
{
    Q_DECLARE_PUBLIC(EngineSession)
public:
    explicit EngineSessionPrivate(EngineSession *q);
    ~EngineSessionPrivate();

    void init(EngineServerPrivate *server, const QString &id, const EngineRequest &request,
              EngineTransport *transport);
    /*! Null, or the receiver called before textMessageReceived/binaryMessageReceived/closed. */
    EngineSessionReceiver *receiver = nullptr;
    /*! A message from the peer: to the receiver, then textMessageReceived/binaryMessageReceived. */
    void deliverMessage(const QByteArray &data, bool binary);
    void deliverClosed(const QString &reason, const QString &description);
    void setTransport(EngineTransport *transport);
    void sendOpen();
    void sendPacket(const Protocol::EnginePacket &packet);
    /*! Queues \a packets in order and flushes (flushQueued()). */
    void sendPackets(const QList<Protocol::EnginePacket> &packets);
    /*! Appends \a packet to writeBuffer. */
    void queue(const Protocol::EnginePacket &packet);
    /*! The statistics hook (EngineSession::dataPacketQueued), for a packet with data. */
    void reportQueued(const Protocol::EnginePacket &packet);
    /*! Flushes what was queued. What stays is held against the limits: over
        maxBufferedBytesCeiling closes the session at once; over maxBufferedBytes starts
        stallTimer, which the next flush the transport takes stops. */
    void flushQueued();
    /*! Queues one message whose Engine.IO text form \a message ("4" + UTF-8) the library
        encoded itself (valid UTF-8 by construction; a broadcast builds it once for all its
        recipients), then each of \a binaries, and flushes. The bytes are sent as they are: on
        WebSocket as the frame payload (not copied), on polling joined into the payload.
        Application bytes go through EngineSession::sendText() instead, which replaces invalid
        UTF-8. Nothing is queued unless the session is open. Every packet carries the compress
        flag \a compress (EnginePacket::compress). */
    void sendFramed(const QByteArray &message, const QList<QByteArray> &binaries = {},
                    bool compress = true);
    static EngineSessionPrivate *get(EngineSession *q) { return q->d_func(); }
    void flush();
    // From the current transport or the probe (EngineTransport::setSink()).
    void onTransportPacket(EngineTransport *t, const Protocol::EnginePacket &packet);
    void onTransportReady(EngineTransport *t);
    void onTransportFailed(EngineTransport *t, const QString &reason, const QString &description);
    void onTransportClosedGracefully(EngineTransport *t);
    void onPacket(const Protocol::EnginePacket &packet);
    void onClose(const QString &reason, const QString &description);
    void closeTransport();
    void schedulePing();
    /*! The heartbeat deadline passed: send a ping (then wait for the pong), or time out. */
    void onDeadline();
    void cancelHeartbeat();

    bool canProbe() const;
    void startProbe(EngineTransport *probe);
    void onProbePacket(const Protocol::EnginePacket &packet);
    void endProbe();
    void onUpgradeTimeout();
    /*! Closes the session for what is queued for a peer that does not take it. */
    void closeForOverflow(const char *why);
    void startStallTimer();
    /*! writeStallTimeout passed while over maxBufferedBytes: closes the session unless the peer
        took some of what waits in the socket meanwhile. */
    void onStallTimeout();

    PollingTransport *pollingTransport() const;

    EngineSession *q_ptr;
    EngineServerPrivate *server = nullptr;
    qsizetype orderIndex = -1;   // slot in EngineServerPrivate::sessionOrder, -1 once out
    QString id;
    EngineRequest request;
    EngineTransport *transport = nullptr;
    QPointer<EngineTransport> probe;
    QList<Protocol::EnginePacket> writeBuffer;
    qint64 writeBufferBytes = 0;   // encoded payload size of writeBuffer
    // Heartbeat: one entry in the server's SessionDeadlines (no per-session timers).
    enum class Heartbeat { None, WaitPing, WaitPong };
    SessionDeadlines::Queue::iterator deadline;
    // Only while a polling session upgrades (EngineSession::timerEvent()): no QObject and no
    // connection per timer, as there were with two QTimers per upgrade.
    QBasicTimer upgradeTimeoutTimer;   // EngineOptions::upgradeTimeout, a precise timer
    QBasicTimer noopTimer;             // UpgradeNoopInterval, repeating
    // Only while more than maxBufferedBytes wait and the peer takes nothing: writeStallTimeout.
    QBasicTimer stallTimer;
    qint64 stallMark = 0;   // transport->pendingWriteBytes() when stallTimer last started
    quint64 bytesReceived = 0;
    quint64 bytesSent = 0;
    // The small members together, without padding between them (kept per idle connection).
    EngineSession::State state = EngineSession::State::Open;
    Heartbeat heartbeat = Heartbeat::None;
    bool deadlineQueued = false;   // (heartbeat's entry in the queue is `deadline`)
    bool upgrading = false;
    bool upgraded = false;
    bool closeAfterDrain = false;
    /*! Something is connected to dataPacketQueued/dataPacketReceived (set by connectNotify). */
    bool statsObserved = false;
};

} // namespace SocketIo
