// A Socket.IO peer over raw HTTP long-polling that accepts compressed responses, for tests of
// httpCompression and of the per-emit compress flag (tst_server_compress, tst_redis_cluster).
#pragma once

#include "rawhttpclient.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

namespace SocketIo::Test {

/*! A Socket.IO peer over raw HTTP long-polling whose GETs say "Accept-Encoding: gzip, deflate"
    (as browsers do): one connection for GETs, one for POSTs. Nothing is polled unless asked, so
    what the server sends meanwhile waits in its session and goes out in one payload. */
class GzipPollingPeer
{
public:
    /*! Opens a session on \a port and connects to "/" (the CONNECT reply is taken). */
    bool open(quint16 port)
    {
        if (!m_get.connectToHost(QHostAddress::LocalHost, port)
            || !m_post.connectToHost(QHostAddress::LocalHost, port))
            return false;
        const RawHttpResponse open = m_get.request("GET", "/socket.io/?EIO=4&transport=polling");
        if (open.status != 200 || !open.body.startsWith('0'))
            return false;
        m_sid = QJsonDocument::fromJson(open.body.mid(1)).object().value(QStringLiteral("sid")).toString();
        if (m_sid.isEmpty() || m_post.request("POST", target(), "40").status != 200)
            return false;
        return poll().body.startsWith("40{");
    }

    /*! One GET: the response as it came (possibly compressed). */
    RawHttpResponse poll()
    {
        sendPoll();
        return m_get.waitForResponse();
    }
    /*! POSTs \a payload (Engine.IO packets, e.g. "421[\"join\",\"r\"]"); true when accepted. */
    bool send(const QByteArray &payload) { return m_post.request("POST", target(), payload).status == 200; }
    /*! Sends a GET without waiting for its response (which the server may park). */
    void sendPoll() { m_get.sendRequest("GET", target(), {}, {"Accept-Encoding: gzip, deflate"}); }
    /*! The response to sendPoll(). */
    RawHttpResponse waitPoll() { return m_get.waitForResponse(); }

    /*! Closes the session (an Engine.IO close packet): the server forgets it at once instead of
        after its heartbeat deadline. */
    bool close() { return m_post.request("POST", target(), "1").status == 200; }

    /*! The payload of \a response, through gzip -dc when it says Content-Encoding: gzip. */
    static QByteArray payload(const RawHttpResponse &response)
    {
        return response.header("content-encoding") == "gzip" ? gunzipWithTool(response.body) : response.body;
    }

private:
    QByteArray target() const { return "/socket.io/?EIO=4&transport=polling&sid=" + m_sid.toLatin1(); }

    RawHttpClient m_get;
    RawHttpClient m_post;
    QString m_sid;
};

} // namespace SocketIo::Test
