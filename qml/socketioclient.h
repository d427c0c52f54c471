#pragma once

#include <QJSValue>
#include <QObject>
#include <QQmlParserStatus>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

QT_FORWARD_DECLARE_CLASS(QJSEngine)

namespace SocketIo {

class Client;
class ClientSocket;
class Message;

/*!
  The QML type \c SocketIoClient (module \c SocketIo): one namespace of a Socket.IO server,
  backed by a SocketIo::Client with one SocketIo::ClientSocket.

  \qml
  import SocketIo

  SocketIoClient {
      url: "http://localhost:3000"
      active: true
      onConnected: emitEvent("hello", ["world", 42], function (reply) { console.log(reply) })
      onEventReceived: (name, args, ack) => {
          console.log(name, JSON.stringify(args))
          if (ack)                     // the server asked for an acknowledgement
              ack("got it", new Uint8Array([1, 2]).buffer)
      }
  }
  \endqml

  Like QtWebSockets' WebSocket, it connects only when \c active is true and the declaration is
  complete (componentComplete()), so the order in which properties are written does not matter
  and a declaration with \c active: true connects exactly once. Changing \c url, \c namespace,
  \c path, \c transports, \c reconnection, \c withCredentials, \c timeout, \c tryAllTransports
  or \c rememberUpgrade while active reconnects with the new settings (also after an attempt
  that could not start, e.g. an empty \c url); \c auth applies from the next CONNECT on, \c ackTimeout
  from the next emitEvent(). Setting \c active to false leaves the namespace
  (the server sees "client namespace disconnect") and closes the connection. Handlers of its
  signals may change any property, \c active included, also while a change reconnects.

  \c status: Closed (inactive, the server closed the namespace, or the connection was lost
  with \c reconnection false: toggle \c active to connect again), Connecting (joining, or
  reconnecting after the connection was lost), Open (joined; \c id is set), Error (the last
  attempt failed: \c errorString says why; after a CONNECT_ERROR from the server the client
  stays in Error until \c active is toggled, after a network error it retries by itself with
  Socket.IO's backoff when \c reconnection is true).

  Payloads: JavaScript values are sent as socket.io-client sends them (JSON plus binaries;
  ArrayBuffer, typed arrays and DataView become binary attachments; QML lists such as list<T>
  properties or a C++ object's QStringList are arrays); received binaries arrive as
  ArrayBuffer, everything else as plain JavaScript values.
*/
class QmlClient : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_NAMED_ELEMENT(SocketIoClient)

    /*! The server, e.g. "http://localhost:3000" (http, https, ws or wss). */
    Q_PROPERTY(QUrl url READ url WRITE setUrl NOTIFY urlChanged)
    /*! The namespace to join. Unset (the default, or after \c{namespace = undefined}): the path
        of \c url when it is neither empty nor "/" (as socket.io-client's
        io("http://host/admin") joins "/admin"), else "/"; reading it then gives that namespace
        (namespaceChanged() follows url changes). An empty string also means unset. */
    Q_PROPERTY(QString namespace READ namespaceName WRITE setNamespaceName RESET resetNamespaceName
                   NOTIFY namespaceChanged)
    /*! A JavaScript object sent with CONNECT (socket.handshake.auth on the server). */
    Q_PROPERTY(QJSValue auth READ auth WRITE setAuth NOTIFY authChanged)
    /*! The engine path, "/socket.io/" by default. */
    Q_PROPERTY(QString path READ path WRITE setPath NOTIFY pathChanged)
    /*! Transports in use, in order of preference (engine.io-client's \c transports):
        ["polling", "websocket"] by default (polling first, then the upgrade); ["websocket",
        "polling"] opens with WebSocket; ["websocket"] connects with WebSocket only. */
    Q_PROPERTY(QStringList transports READ transports WRITE setTransports NOTIFY transportsChanged)
    /*! Reconnect automatically after the connection is lost (true by default). */
    Q_PROPERTY(bool reconnection READ reconnection WRITE setReconnection NOTIFY reconnectionChanged)
    /*! engine.io-client's \c withCredentials (false by default): when true, cookies the server
        sets (e.g. a load balancer's sticky-session cookie) are sent back with the following
        polling requests and the WebSocket upgrade of the same connection. */
    Q_PROPERTY(bool withCredentials READ withCredentials WRITE setWithCredentials NOTIFY withCredentialsChanged)
    /*! Connect timeout in milliseconds (socket.io-client's \c timeout, 20000 by default): an
        Engine.IO handshake that takes longer fails with connectError("timeout") and is retried
        as any failed attempt. 0 fails every attempt at once, as in socket.io-client; a negative
        value disables the timeout (socket.io-client's \c{timeout: false}). */
    Q_PROPERTY(int timeout READ timeout WRITE setTimeout NOTIFY timeoutChanged)
    /*! Default acknowledgement timeout in milliseconds for emitEvent() calls with a callback or
        onError and no timeout of their own (socket.io-client's \c ackTimeout); 0 (the default)
        or negative: wait forever. Applies from the next emitEvent(), without reconnecting. */
    Q_PROPERTY(int ackTimeout READ ackTimeout WRITE setAckTimeout NOTIFY ackTimeoutChanged)
    /*! engine.io-client's \c tryAllTransports (false by default): when the first transport of
        \c transports fails before the handshake completes (e.g. a proxy that refuses
        WebSocket), the same attempt goes on with the next one instead of failing with
        connectError("websocket error") and waiting for the reconnection, which would start
        with the same transport again. */
    Q_PROPERTY(bool tryAllTransports READ tryAllTransports WRITE setTryAllTransports
                   NOTIFY tryAllTransportsChanged)
    /*! engine.io-client's \c rememberUpgrade (false by default): once a connection has been
        upgraded to WebSocket, the next connection opens with WebSocket directly (when
        \c transports lists it) instead of starting with polling; a transport error forgets
        it. Remembered while the client stays active: it applies to the reconnections after a
        lost connection, not after \c active was set to false or a setting change reconnected
        (engine.io-client remembers it for the whole page, SocketIo::Client per Client). */
    Q_PROPERTY(bool rememberUpgrade READ rememberUpgrade WRITE setRememberUpgrade
                   NOTIFY rememberUpgradeChanged)
    /*! Connect while true (only once the declaration is complete). */
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)
    Q_PROPERTY(Status status READ status NOTIFY statusChanged)
    /*! Why the last attempt failed; empty after a successful connection. */
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)
    /*! The socket id given by the server; empty while not connected. */
    Q_PROPERTY(QString id READ id NOTIFY idChanged)

public:
    /*! See the class documentation. */
    enum Status { Closed, Connecting, Open, Error };
    Q_ENUM(Status)

    /*! An inactive client; the namespace is unset (the URL's path, else "/"). */
    explicit QmlClient(QObject *parent = nullptr);
    /*! Drops the connection at once, without signals. */
    ~QmlClient() override;

    QUrl url() const;
    void setUrl(const QUrl &url);
    QString namespaceName() const;
    void setNamespaceName(const QString &name);
    void resetNamespaceName();
    QJSValue auth() const;
    void setAuth(const QJSValue &auth);
    QString path() const;
    void setPath(const QString &path);
    QStringList transports() const;
    void setTransports(const QStringList &transports);
    bool reconnection() const;
    void setReconnection(bool reconnection);
    bool withCredentials() const;
    void setWithCredentials(bool withCredentials);
    int timeout() const;
    void setTimeout(int timeout);
    int ackTimeout() const;
    void setAckTimeout(int ackTimeout);
    bool tryAllTransports() const;
    void setTryAllTransports(bool tryAllTransports);
    bool rememberUpgrade() const;
    void setRememberUpgrade(bool rememberUpgrade);
    bool isActive() const;
    void setActive(bool active);
    Status status() const;
    QString errorString() const;
    QString id() const;

    /*!
      Sends event \a name. \a args is an array with one element per argument (undefined: no
      argument; any other value: that single argument). If \a callback or \a onError is a
      function the server is asked for an acknowledgement; the outcome is reported exactly once,
      later, from the event loop:
      \list
      \li the server acknowledged: \a callback(...ackArgs) (if \a callback is a function);
      \li no acknowledgement after \a timeout milliseconds (0, the default: \c ackTimeout,
          itself 0 by default: wait forever), the
          socket disconnected after sending it, or the emit was refused: \a onError(message) with
          "operation has timed out", "socket has been disconnected" or "the event was not sent"
          (without \a onError a warning says so and \a callback is not called).
      \endlist
      \qml
      emitEvent("question", [42], answer => console.log(answer), 5000, error => console.warn(error))
      \endqml
      While connecting, the event is buffered until the namespace is joined.

      Returns false, sending nothing, when the client is not active, \a name is reserved
      (connect, disconnect, ...), \a callback or \a onError is neither a function nor
      undefined, \a timeout is negative, or \a args cannot be converted (nested deeper than 64
      levels); a warning says why.
    */
    Q_INVOKABLE bool emitEvent(const QString &name, const QJSValue &args = QJSValue(),
                               const QJSValue &callback = QJSValue(), int timeout = 0,
                               const QJSValue &onError = QJSValue());

    void classBegin() override;
    void componentComplete() override;

Q_SIGNALS:
    void urlChanged();
    void namespaceChanged();
    void authChanged();
    void pathChanged();
    void transportsChanged();
    void reconnectionChanged();
    void withCredentialsChanged();
    void timeoutChanged();
    void ackTimeoutChanged();
    void tryAllTransportsChanged();
    void rememberUpgradeChanged();
    void activeChanged();
    void statusChanged(SocketIo::QmlClient::Status status);
    void errorStringChanged();
    void idChanged();

    /*! The namespace was joined (status Open, id set). */
    void connected();
    /*! The namespace session ended; \a reason is socket.io's string, e.g. "io server disconnect",
        "io client disconnect", "transport close". */
    void disconnected(const QString &reason);
    /*! Joining failed: \a message is the server's CONNECT_ERROR message (e.g. "Invalid
        namespace") or the network error ("xhr poll error", "websocket error", "timeout", ...),
        \a data the error's data (undefined when none), \a details what else socket.io-client's
        connect_error Error carries: {transportError: bool (err.type "TransportError"),
        httpStatus: number (err.description of a refused polling request, e.g. 403; 0 when
        none), description: string}. Handlers written as (message, data) => ... keep working. */
    void connectError(const QString &message, const QJSValue &data, const QJSValue &details);
    /*! The server sent event \a name with arguments \a args (a JavaScript array; binaries are
        ArrayBuffer). \a ack is undefined unless the server asked for an acknowledgement; then it
        is a function, socket.io's callback: ack(...ackArgs) sends the acknowledgement with those
        arguments (JSON values, ArrayBuffer / typed arrays / DataView as binaries), now or later,
        and returns true; only the first successful call sends, later calls are ignored and return
        false (as are calls whose arguments cannot be converted, with a warning, and calls after
        the socket is gone). Handlers written as (name, args) => ... simply ignore it. */
    void eventReceived(const QString &name, const QJSValue &args, const QJSValue &ack);

private:
    void open();
    void close();
    void reopenIfActive();
    void setStatus(Status status);
    void setErrorString(const QString &errorString);
    void setId(const QString &id);
    void onDisconnected(const QString &reason);
    QJSValue ackFunction(QJSEngine *engine, const SocketIo::Message &message);

    QUrl m_url;
    QString m_namespace;   // empty: unset, the URL's path
    QJSValue m_auth;
    QString m_path = QStringLiteral("/socket.io/");
    QStringList m_transports = {QStringLiteral("polling"), QStringLiteral("websocket")};
    bool m_reconnection = true;
    bool m_withCredentials = false;
    int m_timeout = 20000;
    int m_ackTimeout = 0;
    bool m_tryAllTransports = false;
    bool m_rememberUpgrade = false;
    bool m_active = false;
    bool m_componentComplete = true;   // false between classBegin() and componentComplete()
    Status m_status = Closed;
    QString m_errorString;
    QString m_id;
    SocketIo::Client *m_client = nullptr;
    SocketIo::ClientSocket *m_socket = nullptr;
    QJSValue m_ackFactory;   // function (sender) -> the ack function of eventReceived()

    Q_DISABLE_COPY(QmlClient)
};

} // namespace SocketIo
