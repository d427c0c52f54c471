#pragma once

#include "engineclient.h"
#include "protocol/enginepacket.h"

#include <QPointer>
#include <QStringList>
#include <QDateTime>
#include <QTimer>

#include <chrono>

QT_BEGIN_NAMESPACE
class QNetworkAccessManager;
QT_END_NAMESPACE

#include <functional>

namespace SocketIo {

class EngineClientTransport;

/*! How long close() waits for the polling close POST or the WebSocket close handshake before
    giving up on the server (engine.io-client does not wait at all; we wait so that the server
    really sees the close, but never forever). */
inline constexpr std::chrono::milliseconds EngineClientCloseTimeout{5000};

class EngineClientPrivate
{
    Q_DECLARE_PUBLIC(EngineClient)
public:
    explicit EngineClientPrivate(EngineClient *q);
    static EngineClientPrivate *get(EngineClient *client) { return client->d_func(); }
    ~EngineClientPrivate();

    QNetworkAccessManager *networkAccessManager();
    EngineClientTransport *createTransport(const QString &name);
    void setState(EngineClient::State newState);
    /*! The transports to use, in order (options.transports, or polling/websocket). */
    QStringList effectiveTransports() const;
    /*! engine.io-client's _open(): creates and opens the transport that starts the session. */
    void openTransport();

    void onTransportOpened(EngineClientTransport *t);
    void onTransportPacket(EngineClientTransport *t, const Protocol::EnginePacket &packet);
    void onTransportDrained(EngineClientTransport *t);
    void onTransportPaused(EngineClientTransport *t);
    void onTransportFailed(EngineClientTransport *t, const QString &reason,
                           const QString &message, const QString &description);
    void onTransportClosed(EngineClientTransport *t);
    void onTransportSslErrors(const QList<QSslError> &errors, bool *ignore);

    void onPacket(const Protocol::EnginePacket &packet);
    void onHandshake(const QByteArray &json);
    void resetPingTimeout();
    void sendPacket(const Protocol::EnginePacket &packet);
    void sendPackets(const QList<Protocol::EnginePacket> &packets);
    void flush();
    QList<Protocol::EnginePacket> takeWritablePackets();

    void startProbe();
    void onProbePacket(const Protocol::EnginePacket &packet);
    void probeFailed(const QString &why);
    void finishUpgrade();

    void proceedClose();
    /*! Ends the session with \a reason; with a non-empty \a errorMessage errorOccurred() is
        emitted first. */
    void finish(const QString &reason, const QString &description,
                const QString &errorMessage = QString());
    void dropTransport(EngineClientTransport *&t);
    /*! Ends the session on \a t gracefully, as engine.io-client's _onClose() does (transport.close()
        after removing its listeners): polling POSTs a close packet, WebSocket sends a close frame,
        so the server sees "transport close" rather than a broken connection. Nothing \a t does
        afterwards reaches the session; it is deleted once done, or aborted after
        EngineClientCloseTimeout. */
    void retireTransport(EngineClientTransport *&t);
    void onRetired(EngineClientTransport *t);
    /*! Deletes the EngineClient from the event loop once no retiring transport is left. */
    void deleteLaterWhenRetired();

    EngineClient *q_ptr;
    QUrl url;
    EngineClientOptions options;
    QPointer<QNetworkAccessManager> userManager;
    QNetworkAccessManager *ownManager = nullptr;

    EngineClient::State state = EngineClient::State::Closed;
    EngineClientTransport *transport = nullptr;
    EngineClientTransport *probe = nullptr;
    QString sid;
    QStringList upgrades;
    /*! The transports of this session still to use, in order (engine.io-client's
        `transports`; tryAllTransports drops the first one when it fails). */
    QStringList transports;
    /*! engine.io-client's Socket.priorWebsocketSuccess, kept per EngineClient (and carried
        from one engine to the next by the SocketIo::Client) instead of process-wide. */
    bool priorWebsocketSuccess = false;
    /*! Details of the last errorOccurred() (socket.io-client's connect_error): whether it was
        a transport's TransportError ("xhr poll error", "xhr post error", "websocket error"),
        the HTTP status of the failed polling request (0: none), and the description. */
    bool errorIsTransportError = false;
    int errorHttpStatus = 0;
    QString errorDescription;
    /*! True between onTransportFailed() setting the details above and the finish() it calls. */
    bool transportErrorPending = false;
    int pingInterval = 0;
    int pingTimeout = 0;
    qint64 maxPayload = 0;

    QList<Protocol::EnginePacket> writeBuffer;
    bool upgrading = false;      // 3probe arrived: polling is pausing, writes wait
    bool closeRequested = false; // close() called while Open: waiting for drain / upgrade
    bool finishing = false;      // inside finish(): close()/open() from slots are ignored
    bool ignoreSsl = false;
    QTimer pingTimer;
    QTimer connectTimer;
    QTimer closeTimer;
    /*! Transports closing gracefully after the session ended (retireTransport()). */
    QList<EngineClientTransport *> retiring;
    QTimer retireTimer;
    bool deleteWhenRetired = false;
    /*! When the next ping is due at the latest, in wall-clock milliseconds since the epoch
        (0: not open): engine.io-client's _pingTimeoutTime. Wall clock, not the monotonic clock
        of pingTimer, which stands still while the machine sleeps. */
    qint64 pingDeadline = 0;
    /*! The wall clock (tests move it forward). */
    std::function<qint64()> wallClock = [] { return QDateTime::currentMSecsSinceEpoch(); };
};

} // namespace SocketIo
