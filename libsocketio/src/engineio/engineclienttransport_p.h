// The Engine.IO client transports behind one interface: HTTP long-polling over
// QNetworkAccessManager and WebSocket over QWebSocket. EngineClient drives one current
// transport plus, during an upgrade, one probe transport.
#pragma once

#include "protocol/enginepacket.h"

#include <QByteArray>
#include <QList>
#include <QNetworkProxy>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QSslConfiguration>
#include <QSslError>
#include <QString>
#include <QUrl>
#include <QUrlQuery>

QT_BEGIN_NAMESPACE
class QNetworkAccessManager;
class QNetworkCookieJar;
class QNetworkReply;
class QNetworkRequest;
class QWebSocket;
QT_END_NAMESPACE

namespace SocketIo {

/*! What every request of one session shares. */
struct EngineClientTransportConfig
{
    QUrl baseUrl;                    // scheme, host, port and the normalised engine path
    QList<QPair<QString, QString>> query;   // the user's query, fully decoded; EIO/transport/sid/t
                                            // are added per request
    bool withCredentials = false;    // polling: use the manager's cookie jar (else no cookies)
    QPointer<QNetworkCookieJar> cookieJar;   // WebSocket: its cookies go into the handshake
    QString timestampParam;          // empty: no cache buster
    QList<QPair<QByteArray, QByteArray>> extraHeaders;
    QSslConfiguration sslConfiguration;
    QNetworkProxy proxy;
};

class EngineClientTransport : public QObject
{
    Q_OBJECT
public:
    EngineClientTransport(const EngineClientTransportConfig &config, QObject *parent);
    ~EngineClientTransport() override;

    /*! "polling" or "websocket". */
    virtual QString name() const = 0;
    /*! Starts the transport: polling issues its first GET, WebSocket connects. */
    virtual void open() = 0;
    /*! A send() now goes out at once. */
    virtual bool isWritable() const = 0;
    /*! Sends \a packets; only called while isWritable(). */
    virtual void send(const QList<Protocol::EnginePacket> &packets) = 0;
    /*! Graceful close: polling POSTs a close packet, WebSocket sends a close frame; closed()
        follows once that is done. */
    virtual void close() = 0;
    /*! Drops everything at once; no signal is emitted afterwards. */
    virtual void abort() = 0;
    /*! Polling only: stop issuing requests; paused() once the in-flight GET and POST are done. */
    virtual void pause();
    /*! Polling only: undo pause() (the upgrade failed after polling was paused). */
    virtual void resume();

    /*! Adds the session id to every later request. */
    void setSid(const QString &sid) { m_sid = sid; }
    QString sid() const { return m_sid; }
    /*! The HTTP status of the polling request whose failure failed() reports (engine.io-client's
        TransportError description, xhr.status); 0 when there was no HTTP answer, and always for
        WebSocket. */
    int errorHttpStatus() const { return m_errorHttpStatus; }

Q_SIGNALS:
    /*! WebSocket connected (polling never emits this: its open packet is the signal). */
    void opened();
    void packetReceived(const SocketIo::Protocol::EnginePacket &packet);
    /*! A send() completed; the transport is writable again. */
    void drained();
    /*! pause() completed. */
    void paused();
    /*! The transport failed (\a reason "transport error", with engine.io-client's error
        \a message such as "xhr poll error" or "server error" for an undecodable packet) or the server closed it ("transport close").
        Nothing is emitted afterwards. */
    void failed(const QString &reason, const QString &message, const QString &description);
    /*! TLS errors; a direct-connected slot sets *ignore to accept them. */
    void sslErrors(const QList<QSslError> &errors, bool *ignore);
    /*! close() completed. */
    void closed();

protected:
    /*! The request URL: user query, EIO=4, transport, sid, cache buster (engine.io-client's
        order), with the scheme \a plainScheme or its TLS variant \a secureScheme. */
    QUrl requestUrl(const QString &plainScheme, const QString &secureScheme,
                    bool withTimestamp) const;
    /*! engine.io-client's randomString(): base-36 time plus three random base-36 digits. */
    static QString randomString();

    EngineClientTransportConfig m_config;
    QString m_sid;
    int m_errorHttpStatus = 0;
};

/*! HTTP long-polling: one GET in flight at a time, one POST in flight at a time. */
class PollingClientTransport final : public EngineClientTransport
{
    Q_OBJECT
public:
    PollingClientTransport(const EngineClientTransportConfig &config,
                           QNetworkAccessManager *manager, QObject *parent);
    ~PollingClientTransport() override;

    QString name() const override { return QStringLiteral("polling"); }
    void open() override;
    bool isWritable() const override;
    void send(const QList<Protocol::EnginePacket> &packets) override;
    void close() override;
    void abort() override;
    void pause() override;
    void resume() override;

private:
    QNetworkRequest makeRequest() const;
    void poll();
    void post(const QByteArray &body);
    void onPollFinished(QNetworkReply *reply);
    void onPostFinished(QNetworkReply *reply);
    void watchSsl(QNetworkReply *reply);
    /*! True if \a reply failed; sets \a description and m_errorHttpStatus. */
    bool replyFailed(QNetworkReply *reply, QString *description);
    void maybePaused();
    void fail(const QString &reason, const QString &message, const QString &description);
    void dropReply(QPointer<QNetworkReply> &reply);

    QPointer<QNetworkAccessManager> m_manager;
    QPointer<QNetworkReply> m_get;
    QPointer<QNetworkReply> m_post;
    bool m_running = false;
    bool m_pausing = false;
    bool m_paused = false;
    bool m_closing = false;
    bool m_closePosted = false;
    bool m_done = false;   // failed, closed or aborted: silent from now on
};

/*! One QWebSocket; one Engine.IO packet per WebSocket message. */
class WebSocketClientTransport final : public EngineClientTransport
{
    Q_OBJECT
public:
    WebSocketClientTransport(const EngineClientTransportConfig &config, QObject *parent);
    ~WebSocketClientTransport() override;

    QString name() const override { return QStringLiteral("websocket"); }
    void open() override;
    bool isWritable() const override;
    void send(const QList<Protocol::EnginePacket> &packets) override;
    void close() override;
    void abort() override;

private:
    void onText(const QString &message);
    void onBinary(const QByteArray &message);
    void onDisconnected();
    void fail(const QString &reason, const QString &message, const QString &description);

    QWebSocket *m_socket = nullptr;
    bool m_connected = false;
    bool m_closing = false;
    bool m_drainScheduled = false;
    bool m_done = false;
};

} // namespace SocketIo
