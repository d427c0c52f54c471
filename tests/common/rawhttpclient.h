// A small raw HTTP/1.1 client for tests: sends arbitrary bytes over one TCP connection and
// parses the responses that come back (status, headers, Content-Length body), in order.
// Waiting spins the event loop (QTest::qWaitFor), so a server in the same thread keeps working.
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPair>

QT_BEGIN_NAMESPACE
class QTcpSocket;
QT_END_NAMESPACE

/*! One parsed HTTP response. Header names are lower-cased, values as received. */
struct RawHttpResponse
{
    int status = 0;                                 // 0: no (complete) response
    QByteArray reason;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;

    /*! First value of header \a lowerName, or a null QByteArray. */
    QByteArray header(QByteArrayView lowerName) const;
    bool hasHeader(QByteArrayView lowerName) const;
    /*! All values of header \a lowerName, in order. */
    QList<QByteArray> headerValues(QByteArrayView lowerName) const;
};

/*! \a body through an independent gzip decoder (`gzip -dc`, a separate process that checks the
    header, CRC and size); a null QByteArray when it fails. */
QByteArray gunzipWithTool(const QByteArray &body);

class RawHttpClient : public QObject
{
    Q_OBJECT
public:
    explicit RawHttpClient(QObject *parent = nullptr);
    ~RawHttpClient() override;

    /*! Connects and waits up to \a timeoutMs; true when connected. */
    bool connectToHost(const QHostAddress &address, quint16 port, int timeoutMs = 5000);
    bool isConnected() const;
    /*! Sends \a raw exactly as given (for malformed requests and pipelining). */
    void sendRaw(const QByteArray &raw);
    /*! Sends a well-formed request with Host and (for a body) Content-Length; \a headers are
        extra "Name: value" lines without CRLF. */
    void sendRequest(const QByteArray &method, const QByteArray &target,
                     const QByteArray &body = {}, const QList<QByteArray> &headers = {});
    /*! Waits up to \a timeoutMs for the next complete response and removes it from the queue.
        Returns a response with status 0 on timeout. */
    RawHttpResponse waitForResponse(int timeoutMs = 5000);
    /*! sendRequest() + waitForResponse(). */
    RawHttpResponse request(const QByteArray &method, const QByteArray &target,
                            const QByteArray &body = {}, const QList<QByteArray> &headers = {},
                            int timeoutMs = 5000);
    /*! Complete responses received and not yet taken. */
    int pendingResponses() const;
    /*! Waits until the server closed the connection. */
    bool waitForDisconnected(int timeoutMs = 5000);
    /*! Closes the connection from this side at once. */
    void abort();
    /*! Bytes received that do not (yet) form a complete response. */
    QByteArray unparsed() const;
    QTcpSocket *socket() const;

Q_SIGNALS:
    void responseReceived();

private:
    void onReadyRead();
    bool parseOne();

    QTcpSocket *m_socket;
    QByteArray m_buffer;
    QList<RawHttpResponse> m_responses;
    QByteArray m_host;
};
