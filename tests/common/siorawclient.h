// A raw Socket.IO peer for exact-wire tests: speaks Engine.IO v4 over WebSocket or HTTP
// long-polling, sends literal Socket.IO packet strings and records every message the server
// sends. Pings are answered automatically (can be turned off). Waiting spins the event loop
// (QTest::qWaitFor), so a server in the same thread keeps working.
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>

QT_BEGIN_NAMESPACE
class QWebSocket;
QT_END_NAMESPACE

class RawHttpClient;

class SioRawClient : public QObject
{
    Q_OBJECT
public:
    enum class Transport { WebSocket, Polling };

    /*! One Engine.IO message from the server: text as on the wire (with the leading "4", e.g.
        "42[\"x\"]", as protocol.md writes them) or binary. */
    struct Frame
    {
        bool binary = false;
        QByteArray data;
    };

    explicit SioRawClient(Transport transport = Transport::WebSocket, QObject *parent = nullptr);
    ~SioRawClient() override;

    /*! Opens an Engine.IO session on 127.0.0.1:\a port at \a path, with \a extraQuery appended
        ("a=1&b=2"), and waits for the open packet. */
    bool open(quint16 port, const QString &path = QStringLiteral("/socket.io/"),
              const QString &extraQuery = QString(), int timeoutMs = 5000);
    Transport transport() const { return m_transport; }
    /*! Engine.IO session id from the open packet. */
    QString sid() const { return m_sid; }
    QJsonObject openPacket() const { return m_open; }

    /*! Answer "2" with "3" (default true). */
    void setAutoPong(bool on) { m_autoPong = on; }

    /*! Sends the Engine.IO text packet \a packet exactly as given: "42[\"x\"]" is a Socket.IO
        EVENT, as protocol.md writes wire strings. */
    void send(const QByteArray &packet);
    /*! Sends one binary Engine.IO message. */
    void sendBinary(const QByteArray &bytes);
    /*! Sends a raw Engine.IO packet (e.g. "1", "3"). */
    void sendEngine(const QByteArray &packet);
    /*! Polling only: POSTs \a body as is (several packets separated by \x1e, "b" + base64 for binary). */
    void postPayload(const QByteArray &body);

    /*! Sends "40" (plus nsp and auth) and waits for the reply; returns the reply text (e.g.
        "40{\"sid\":\"...\"}" or "44/x,{...}"), empty on timeout. */
    QByteArray connectNamespace(const QString &nsp = QStringLiteral("/"), const QByteArray &authJson = QByteArray(),
                                int timeoutMs = 5000);

    /*! Waits for the next message; returns false on timeout. */
    bool waitForFrame(Frame *frame, int timeoutMs = 5000);
    /*! Next text message (skipping nothing: a binary message here is an error, returns "<binary>"). */
    QByteArray waitForText(int timeoutMs = 5000);
    /*! Next binary message. */
    QByteArray waitForBinary(int timeoutMs = 5000);
    /*! Messages received and not yet taken. */
    int pendingFrames() const { return int(m_frames.size()); }
    /*! Every message received so far, taken or not. */
    QList<Frame> history() const { return m_history; }
    /*! Engine.IO packets other than messages received so far ("2", "6", "1"...). */
    QList<QByteArray> enginePackets() const { return m_enginePackets; }
    /*! Number of pings received so far. */
    int pingCount() const { return m_pings; }

    /*! True once the server closed the session (WebSocket closed, polling got "1" or an error). */
    bool isClosed() const { return m_closed; }
    bool waitForClosed(int timeoutMs = 5000);
    /*! Closes from this side (WebSocket close / polling "1"). */
    void close();
    /*! Drops the transport without any close packet. */
    void abort();

Q_SIGNALS:
    void frameReceived();

private:
    void onEnginePacket(const QByteArray &packet);
    void onEngineBinary(const QByteArray &bytes);
    void poll();
    void onPollResponse();
    void post(const QByteArray &body);
    QByteArray target() const;

    Transport m_transport;
    QWebSocket *m_ws = nullptr;
    RawHttpClient *m_get = nullptr;
    RawHttpClient *m_post = nullptr;
    quint16 m_port = 0;
    QString m_path;
    QString m_extraQuery;
    QString m_sid;
    QJsonObject m_open;
    bool m_opened = false;
    bool m_closed = false;
    bool m_autoPong = true;
    bool m_polling = false;
    int m_pings = 0;
    QList<Frame> m_frames;
    QList<Frame> m_history;
    QList<QByteArray> m_enginePackets;
    QList<QByteArray> m_postQueue;
    bool m_postInFlight = false;
};
