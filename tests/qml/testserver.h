// The in-process Socket.IO server the QML tests talk to (exposed to QML as "testServer").
#pragma once

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QVariantList>

#include <memory>

QT_FORWARD_DECLARE_CLASS(QTcpServer)

namespace SocketIo {
class Server;
class Socket;
} // namespace SocketIo

/*!
  A SocketIo::Server on a free loopback port with the handlers the QML tests use. On "/":
  "message" is echoed back as "message-back"; "message-with-ack" is acknowledged with its own
  arguments; "record" stores its arguments (lastArgs, CBOR diagnostic notation) and acks with no
  arguments; "binary" stores the first argument (lastBinaryHex) and is echoed as "binary-back";
  "ask-mixed" is answered with "mixed" (nested JSON with binaries); "kick" makes the server
  disconnect the socket. "/custom" accepts everyone (its sockets are counted and tagged like
  those of "/", see namespaceOf()). "/private" refuses every connection with message "not
  authorized" and data {code: 42}; any other namespace is unknown ("Invalid namespace").

  A handshake whose query has a "refuse" item is refused (allowRequest: HTTP 403 for polling).
  The handshake response sets the cookie io=<sid> (engine.io's cookie option). The same server
  also answers on cookieUrl, a second port whose HTTP requests are inspected before the server
  reads them: cookieRequests counts those that carry the io cookie back. silentUrl is a port
  that accepts TCP connections and never answers (for connect timeouts). pollingOnlyUrl is a
  second server, with the same handlers and bookkeeping, that allows polling only (a WebSocket
  request is refused with HTTP 400).

  Clients identify themselves with auth {tag: "..."}; connections and disconnect reasons are
  counted per tag. askClient() sends an event with an ack request to a tagged client and records
  its answer (lastAnswer, answers).
*/
class TestServer : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString url READ url CONSTANT)
    Q_PROPERTY(QString cookieUrl READ cookieUrl CONSTANT)
    Q_PROPERTY(QString silentUrl READ silentUrl CONSTANT)
    Q_PROPERTY(QString pollingOnlyUrl READ pollingOnlyUrl CONSTANT)
    /*! Requests on cookieUrl that carried the io cookie. */
    Q_PROPERTY(int cookieRequests READ cookieRequests NOTIFY cookieRequestsChanged)
    Q_PROPERTY(QString lastArgs READ lastArgs NOTIFY recorded)
    Q_PROPERTY(QString lastBinaryHex READ lastBinaryHex NOTIFY recorded)
    /*! The ack arguments of the last answer to askClient() (CBOR diagnostic notation, binaries
        as h'..'), or "error: <errorString>" if it failed. */
    Q_PROPERTY(QString lastAnswer READ lastAnswer NOTIFY answered)
    /*! How many askClient() replies have finished. */
    Q_PROPERTY(int answers READ answers NOTIFY answered)
public:
    explicit TestServer(QObject *parent = nullptr);
    ~TestServer() override;

    /*! True once listening. */
    bool isListening() const;
    /*! "http://127.0.0.1:<port>". */
    QString url() const;
    QString cookieUrl() const;
    QString silentUrl() const;
    QString pollingOnlyUrl() const;
    int cookieRequests() const;
    QString lastArgs() const;
    QString lastBinaryHex() const;
    QString lastAnswer() const;
    int answers() const;

    /*! How many sockets with auth.tag == \a tag have connected to "/". */
    Q_INVOKABLE int connections(const QString &tag) const;
    /*! socket.io's reason string of the last disconnect of a socket tagged \a tag; empty if none. */
    Q_INVOKABLE QString disconnectReason(const QString &tag) const;
    /*! The namespace of the last socket tagged \a tag ("/" or "/custom"); empty if none. */
    Q_INVOKABLE QString namespaceOf(const QString &tag) const;
    /*! The Engine.IO transport ("polling" or "websocket") the last socket tagged \a tag was on
        when it joined its namespace; empty if none. */
    Q_INVOKABLE QString joinedOver(const QString &tag) const;
    /*! The transport of the first request (the handshake) of the Engine.IO session of the last
        socket tagged \a tag: "websocket" when the connection opened with WebSocket directly;
        empty if none. */
    Q_INVOKABLE QString openedOver(const QString &tag) const;
    /*! The transport the last socket tagged \a tag is on now (after an upgrade: "websocket");
        empty if it is gone. */
    Q_INVOKABLE QString transportOf(const QString &tag) const;
    /*! Aborts the Engine.IO session of the last socket tagged \a tag, as a lost connection
        (the client sees "transport close" or "transport error" and reconnects). False if no
        such socket is connected. */
    Q_INVOKABLE bool dropConnection(const QString &tag);
    /*! Emits \a event with \a args to the last socket tagged \a tag, asking for an ack (no
        timeout); the answer lands in lastAnswer. False if no such socket is connected. */
    Q_INVOKABLE bool askClient(const QString &tag, const QString &event, const QVariantList &args);

Q_SIGNALS:
    /*! lastArgs or lastBinaryHex changed. */
    void recorded();
    /*! An askClient() reply finished (lastAnswer and answers changed). */
    void answered();
    void cookieRequestsChanged();

private:
    void onConnection(SocketIo::Socket *socket);

    void onCookiePortConnection();

    std::unique_ptr<SocketIo::Server> m_server;
    std::unique_ptr<SocketIo::Server> m_pollingOnly;
    QTcpServer *m_cookiePort = nullptr;
    QTcpServer *m_silentPort = nullptr;
    int m_cookieRequests = 0;
    QHash<QString, QString> m_namespaces;
    QHash<QString, QString> m_joinedOver;
    QHash<QString, QString> m_openedOver;
    QHash<QString, int> m_connections;
    QHash<QString, QString> m_disconnectReasons;
    QString m_lastArgs;
    QString m_lastBinaryHex;
    QHash<QString, QPointer<SocketIo::Socket>> m_sockets;
    QString m_lastAnswer;
    int m_answers = 0;

    Q_DISABLE_COPY(TestServer)
};
