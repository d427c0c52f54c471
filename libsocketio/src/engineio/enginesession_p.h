#pragma once

#include "enginesession.h"
#include "protocol/enginepacket.h"

#include <QPointer>
#include <QTimer>

#include <chrono>

namespace SocketIo {

class EngineServerPrivate;
class EngineTransport;
class PollingTransport;

/*! During an upgrade, a parked GET is released with a noop this often (engine.io: 100 ms). */
inline constexpr std::chrono::milliseconds UpgradeNoopInterval{100};

class EngineSessionPrivate
{
    Q_DECLARE_PUBLIC(EngineSession)
public:
    explicit EngineSessionPrivate(EngineSession *q);
    ~EngineSessionPrivate();

    void init(EngineServerPrivate *server, const QString &id, const EngineRequest &request,
              EngineTransport *transport);
    void setTransport(EngineTransport *transport);
    void sendOpen();
    void sendPacket(const Protocol::EnginePacket &packet);
    /*! Queues \a packets in order and flushes; closes the session when more than
        maxBufferedBytes stay queued. */
    void sendPackets(const QList<Protocol::EnginePacket> &packets);
    void flush();
    void onPacket(const Protocol::EnginePacket &packet);
    void onClose(const QString &reason, const QString &description);
    void closeTransport();
    void schedulePing();

    bool canProbe() const;
    void startProbe(EngineTransport *probe);
    void onProbePacket(const Protocol::EnginePacket &packet);
    void endProbe();

    PollingTransport *pollingTransport() const;

    EngineSession *q_ptr;
    EngineServerPrivate *server = nullptr;
    QString id;
    EngineRequest request;
    EngineSession::State state = EngineSession::State::Open;
    EngineTransport *transport = nullptr;
    QPointer<EngineTransport> probe;
    bool upgrading = false;
    bool upgraded = false;
    bool closeAfterDrain = false;
    QList<Protocol::EnginePacket> writeBuffer;
    qint64 writeBufferBytes = 0;   // encoded payload size of writeBuffer
    QTimer pingIntervalTimer;
    QTimer pingTimeoutTimer;
    QTimer upgradeTimeoutTimer;
    QTimer noopTimer;
    quint64 bytesReceived = 0;
    quint64 bytesSent = 0;
    /*! Something is connected to dataPacketQueued/dataPacketReceived (set by connectNotify). */
    bool statsObserved = false;
};

} // namespace SocketIo
