#pragma once

#include <SocketIo/handshake.h>
#include <SocketIo/socketio_export.h>

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QJsonArray>
#include <QMetaType>
#include <QPointer>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QVariantList>

#include <initializer_list>

namespace SocketIo {

class Adapter;

/*!
  A snapshot of a socket that may live on another server node (socket.io's RemoteSocket), as
  returned by fetchSockets(). Its actions go through the namespace's adapter, so they work
  wherever the socket lives; they do nothing once the adapter is gone.
*/
class SOCKETIO_EXPORT RemoteSocket
{
public:
    RemoteSocket();
    /*! For adapters: a socket \a id of \a adapter's namespace with the given details. */
    RemoteSocket(SocketIo::Adapter *adapter, const QString &id, const SocketIo::Handshake &handshake,
                 const QSet<QString> &rooms, const QCborValue &data);

    bool isValid() const;
    QString id() const;
    SocketIo::Handshake handshake() const;
    QSet<QString> rooms() const;
    QCborValue data() const;

    /*! Sends \a event to this socket. Returns false, sending nothing, for a reserved name, for more
        than 10 binary attachments (a JavaScript peer would close the connection), or without adapter. */
    bool emitEvent(const QString &event, const QCborArray &args = QCborArray()) const;
    /*! \overload */
    bool emitEvent(const QString &event, std::initializer_list<QCborValue> args) const;
    /*! \overload */
    bool emitEvent(const QString &event, const QJsonArray &args) const;
    /*! \overload */
    bool emitEvent(const QString &event, const QVariantList &args) const;
    /*! Makes the socket join \a rooms. */
    void join(const QStringList &rooms) const;
    /*! Makes the socket leave \a room. */
    void leave(const QString &room) const;
    /*! Disconnects the socket (and its whole connection if \a close). */
    void disconnect(bool close = false) const;

    /*! {"id","handshake","rooms":[...],"data"}: the shape socket.io nodes exchange. */
    QCborMap toCbor() const;

private:
    QPointer<SocketIo::Adapter> m_adapter;
    QString m_id;
    SocketIo::Handshake m_handshake;
    QSet<QString> m_rooms;
    QCborValue m_data;
};

} // namespace SocketIo

Q_DECLARE_METATYPE(SocketIo::RemoteSocket)
