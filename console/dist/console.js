var Ie=function(e,t,n,o){var s;t[0]=0;for(var r=1;r<t.length;r++){var i=t[r++],a=t[r]?(t[0]|=i?1:2,n[t[r++]]):t[++r];i===3?o[0]=a:i===4?o[1]=Object.assign(o[1]||{},a):i===5?(o[1]=o[1]||{})[t[++r]]=a:i===6?o[1][t[++r]]+=a+"":i?(s=e.apply(a,Ie(e,a,n,["",null])),o.push(s),a[0]?t[0]|=2:(t[r-2]=0,t[r]=s)):o.push(a)}return o},Pe=new Map;function Te(e){var t=Pe.get(this);return t||(t=new Map,Pe.set(this,t)),(t=Ie(this,t.get(e)||(t.set(e,t=(function(n){for(var o,s,r=1,i="",a="",f=[0],p=function(l){r===1&&(l||(i=i.replace(/^\s*\n\s*|\s*\n\s*$/g,"")))?f.push(0,l,i):r===3&&(l||i)?(f.push(3,l,i),r=2):r===2&&i==="..."&&l?f.push(4,l,0):r===2&&i&&!l?f.push(5,0,!0,i):r>=5&&((i||!l&&r===5)&&(f.push(r,0,i,s),r=6),l&&(f.push(r,l,0,s),r=6)),i=""},u=0;u<n.length;u++){u&&(r===1&&p(),p(u));for(var g=0;g<n[u].length;g++)o=n[u][g],r===1?o==="<"?(p(),f=[f],r=3):i+=o:r===4?i==="--"&&o===">"?(r=1,i=""):i=o+i[0]:a?o===a?a="":i+=o:o==='"'||o==="'"?a=o:o===">"?(p(),r=1):r&&(o==="="?(r=5,s=i,i=""):o==="/"&&(r<5||n[u][g+1]===">")?(p(),r===3&&(f=f[0]),r=f,(f=f[0]).push(2,0,r),r=0):o===" "||o==="	"||o===`
`||o==="\r"?(p(),r=2):i+=o),r===3&&i==="!--"&&(r=4,f=f[0])}return p(),f})(e)),t),arguments,[])).length>1?t:t[0]}var k,Ae,at,A,se,Z,He,Q,Le,ce,ae,ct,q=Symbol.for("pv"),ee={},te=[],ut=/^m(i|n|o|s|text|space)$/,ue=Array.isArray,_e=te.slice,W=Object.assign;function O(e){e&&e.parentNode&&e.remove()}function Re(e,t,n){var o,s,r,i={},a=arguments.length;for(r in t)r=="key"?o=t[r]:r=="ref"&&typeof e!="function"?s=t[r]:i[r]=t[r];return a>2&&(i.children=a>3?_e.call(arguments,2):n),F(e,i,o,s,null)}function F(e,t,n,o,s){var r={type:e,props:t,key:n,ref:o,__k:null,__:null,__b:0,__e:null,__c:null,constructor:q,__v:s||++Ae,__i:-1,__u:0};return!s&&k.vnode&&k.vnode(r),r}function ne(e){return e.children}function Y(e,t){this.props=e,this.context=t,this.__g=0}function H(e,t){if(t==null)return e.__&&H(e.__,e.__i+1);for(var n;t<e.__k.length;t++)if((n=e.__k[t])&&n.__e)return n.__e;return typeof e.type!="function"||e.props.__P?null:H(e)}function _t(e){var t,n=e.__v,o=n.__e,s=[],r=[],i=e.__P;i&&((t=W({constructor:q},n)).__v=n.__v+1,k.vnode&&k.vnode(t),le(i,t,n,e.__n,i.namespaceURI,32&n.__u?[o]:null,s,o||H(n),32&n.__u,r),t.__v=n.__v,t.__.__k[t.__i]=t,Be(s,t,r),n.__=n.__e=null,t.__e!=o&&Me(t))}function Me(e){if((e=e.__)&&e.__c&&!e.props.__P)return e.__e=null,e.__k.some(function(t){return t&&(e.__e=t.__e)}),Me(e)}function Ne(e){(8&e.__g||(e.__g|=8,A.push(e),Z++))&&se==k.debounceRendering||((se=k.debounceRendering)||queueMicrotask)(De)}function De(){try{for(var e,t=1;A.length;)A.length>t&&A.sort(He),e=A.shift(),t=A.length,8&e.__g&&_t(e)}finally{(Z=A.length)&&(se||queueMicrotask)(De)}}function Ue(e,t,n,o,s,r,i,a,f,p,u){var g,l,c,h,v,$,b=o.__k||te,m=t.length;for(f=lt(n,t,b,f,m),g=0;g<m;g++)(c=n.__k[g])!=null&&(l=~c.__i&&b[c.__i]||ee,c.__i=g,$=le(e,c,l,s,r,i,a,f,p,u),h=c.__e,(l.ref!=c.ref||8&l.__u)&&(l.ref&&de(l.ref,null,c,l),c.ref&&u.push(c.ref,c.__c||h,c)),v=v||h,4&c.__u?(f=Oe(c,f,e,!l.__v),l.__e&&(l.__e=null)):typeof c.type=="function"&&$!==void 0?f=$:h&&(f=h.nextSibling),c.__u&=-21);return n.__e=v,f}function lt(e,t,n,o,s){var r,i,a,f,p,u,g,l,c,h=n.length,v=h,$=0,b=0,m=e.__k=Array(s);for(r=0;r<s;r++)(i=t[r])!=null&&typeof i!="boolean"&&typeof i!="function"?(typeof i!="object"||i.constructor===String?i=m[r]=F(null,i):ue(i)?i=m[r]=F(ne,{children:i}):i.constructor===q&&i.__b?i=m[r]=F(i.type,i.props,i.key,i.ref,i.__v):m[r]=i,f=r+$,i.__=e,i.__b=e.__b+1,a=null,~(p=i.__i=dt(i,n,f,v))&&(v--,(a=n[p])&&(a.__u|=2)),a&&a.__v?(i.__u|=16,p==f-1?$--:p==f+1?$++:p!=f&&(p>f?$--:$++,b=1)):(~p||(s>h?$--:s<h&&$++),typeof i.type!="function"&&(i.__u|=4))):m[r]=null;if(b){for(u=[],g=[],r=0;r<s;r++)if((i=m[r])&&16&i.__u){for($=0,l=u.length;$<l;)u[c=$+l>>1]<i.__i?$=c+1:l=c;u[$]=i.__i,g[r]=$+1}for($=u.length;r--;)g[r]&&(g[r]==$?$--:m[r].__u|=4)}if(v)for(r=0;r<h;r++)!(a=n[r])||2&a.__u||(a.__e==o&&(o=H(a)),fe(a,a));return o}function Oe(e,t,n,o){var s,r,i,a;if(typeof e.type=="function"){if(e.props.__P)return t;if(s=e.__k)for(r=0;r<s.length;r++)s[r]&&(s[r].__=e,t=Oe(s[r],t,n,!1));return t}for(t&&!t.parentNode&&(t=H(e))&&!t.parentNode&&(t=null),i=e.__e,a=t;a&&a.nodeType==8;)a=a.nextSibling;for(i!=a&&(!o&&n.moveBefore&&i.parentNode?n.moveBefore(i,t):n.insertBefore(i,t||null)),t=i;(t=t&&t.nextSibling)&&t.nodeType==8&&!t.data.startsWith("$s"););return t}function dt(e,t,n,o){var s,r=e.key,i=e.type,a=t[n],f=a&&!(2&a.__u);if(a===null&&r==null||f&&r==a.key&&i==a.type)return n;if(o>(f?1:0)){for(s=n-1;s>=0;s--)if((a=t[s])&&!(2&a.__u)&&r==a.key&&i==a.type)return s;for(s=n+1;s<t.length;s++)if((a=t[s])&&!(2&a.__u)&&r==a.key&&i==a.type)return s}return-1}function Ee(e,t,n){n==null&&(n=""),t[0]=="-"?e.setProperty(t,n):e[t]=n}function J(e,t,n,o,s){var r,i;if(t=="style")if(typeof n=="string")e.style.cssText=n;else{if(typeof o=="string"&&(e.style.cssText=o=""),o)for(t in o)n&&t in n||Ee(e.style,t);if(n)for(t in n)o&&n[t]==o[t]||Ee(e.style,t,n[t])}else if(t[0]=="o"&&t[1]=="n")typeof n!="function"&&(n=null),typeof o!="function"&&(o=null),(e.__e||(e.__e={}))[t]=n,n&&o||(i=ae[t]||(ae[t]=ft(t)),(e.__a||(e.__a={}))[t]=ce,r=t!=(t=t.replace(Le,"$1")),(t=t.slice(2))[0]<"a"&&(t=t.toLowerCase()),n?e.addEventListener(t,i,r):e.removeEventListener(t,i,r));else{if(s=="http://www.w3.org/2000/svg")t=t.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(t!="width"&&t!="height"&&t!="href"&&t!="list"&&t!="form"&&t!="tabIndex"&&t!="download"&&t!="rowSpan"&&t!="colSpan"&&t!="role"&&t!="popover"&&t in e)try{return void(e[t]=n??"")}catch{}if(typeof n=="function")return;n==null||n===!1&&t[4]!="-"?e.removeAttribute(t):e.setAttribute(t,t=="popover"&&n==1?"":n)}}function ft(e){return function(t){var n=this.__e;if(n){if(n=n[e],t[Q]==null)t[Q]=ce++;else if(t[Q]<this.__a[e])return;return n(k.event?k.event(t):t)}}}function le(e,t,n,o,s,r,i,a,f,p){var u,g,l,c,h,v,$,b,m,d,w,M,Se,G,D,xe,E,U,T=t.type;if(t.constructor!==q)return null;128&n.__u&&(f=32&n.__u,u=n.__c.__z)&&(t.__u|=f,g=r=[],u.nodeType==8?a=X(u,r):r.push(u),a=r[0]||a),(u=k.__b)&&u(t);e:if(typeof T=="function"){l=i.length;try{if(b=t.props,m=(u=T.prototype)&&u.render,d=(u=T.contextType)&&o[u.__c],w=u?d?d.props.value:u.__:o,(c=n.__c)?(t.__c=c,2&c.__g&&(c.__g|=1)):(m?t.__c=c=new T(b,w):(t.__c=c=new Y(b,w),c.constructor=T,c.render=ht),d&&d.sub(c),c.state||(c.state={}),c.__n=o,c.__g|=8,c.__h=[],c.__k=[]),m&&(c.__s||(c.__s=c.state),T.getDerivedStateFromProps&&(c.__s==c.state&&(c.__s=W({},c.__s)),W(c.__s,T.getDerivedStateFromProps(b,c.__s)))),h=c.props,v=c.state,c.__v=t,n.__c){if(b!==h&&m&&!T.getDerivedStateFromProps&&c.componentWillReceiveProps&&c.componentWillReceiveProps(b,w),t.__v==n.__v&&!(8&c.__g)||!(4&c.__g)&&c.shouldComponentUpdate&&c.shouldComponentUpdate(b,c.__s,w)===!1){t.__v!=n.__v&&(c.props=b,c.state=c.__s,c.__g&=-9),t.__e=n.__e,t.__k=n.__k,t.__k.some(function(P){P&&(P.__=t)}),te.push.apply(c.__h,c.__k),c.__k=[],c.__h.length&&i.push(c),a=H(n);break e}c.componentWillUpdate&&c.componentWillUpdate(b,c.__s,w),m&&c.componentDidUpdate&&c.__h.push(function(){c.componentDidUpdate(h,v,$)})}else m&&!T.getDerivedStateFromProps&&c.componentWillMount&&c.componentWillMount(),m&&c.componentDidMount&&c.__h.push(c.componentDidMount);c.context=w,c.props=b,c.__P=e,c.__g&=-5,M=k.__r,Se=m?25:0;do c.__g&=-9,M&&M(t),u=c.render(c.props,c.state=c.__s,c.context);while(8&c.__g&&++Se<25);m&&(te.push.apply(c.__h,c.__k),c.__k=[]),c.state=c.__s,c.getChildContext&&(o=W({},o,c.getChildContext())),m&&n.__c&&c.getSnapshotBeforeUpdate&&($=c.getSnapshotBeforeUpdate(h,v)),G=u&&u.type===ne&&u.key==null?u.props.children:u,b.__P&&(u=a,s=(e=b.__P).namespaceURI,f=r=null,n.props&&n.props.__P!=e&&(n.__k.some(function(P){P&&fe(P,P)}),n.__k=null),a=n.__k?H(n,0):null),a=Ue(e,ue(G)?G:[G],t,n,o,s,r,i,a,f,p),b.__P&&(t.__e=null,a=u),t.__u&=-161,g&&g.some(O),c.__h.length&&i.push(c),1&c.__g&&(c.__g&=-4)}catch(P){if(i.length=l,t.__v=null,f||r)if(P&&P.then){if(t.__u|=128|f,r){for(~(E=r.indexOf(a||void 0))||(E=r.length);(U=r[E-1])&&U.nodeType==8;)E--;for(;E<r.length;E++)if(U=r[E])if(r[E]=null,D){if(U==xe)break}else{if(U.nodeType!=8)break;U.data.startsWith("$s")&&(xe=X(D=U))}}if(!D){for(;a&&a.nodeType==8&&a.nextSibling;)a=a.nextSibling;D=a}(u=X(D=t.__c.__z||(t.__c.__z=D)))?(t.__e=D,a=u):t.__e=a,a=a&&a.nextSibling}else r&&r.some(O);else t.__e=n.__e;t.__k||(t.__k=n.__k||[]),P&&P.then||We(t),k.__e(P,t,n)}}else a=t.__e=pt(n.__e,t,n,o,s,r,i,f,p,e);return(u=k.diffed)&&u(t),a}function X(e,t){if(e&&e.nodeType==8&&e.data.startsWith("$s"))for(var n=1;e=e.nextSibling;){if(e.nodeType==8){if(e.data.startsWith("$s"))n++;else if(e.data.startsWith("/$s")&&!--n)return e}t&&t.push(e)}}function We(e){e&&(e.__c&&(e.__c.__g|=4),e.__k&&e.__k.some(We))}function Be(e,t,n){for(var o=0;o<n.length;)de(n[o++],n[o++],n[o++]);k.__c&&k.__c(t,e),e.some(function(s){try{e=s.__h,s.__h=[],e.some(function(r){r.call(s)})}catch(r){k.__e(r,s.__v)}})}function pt(e,t,n,o,s,r,i,a,f,p){var u,g,l,c,h,v,$,b,m=n.props||ee,d=t.props,w=t.type;if(w=="svg"?s="http://www.w3.org/2000/svg":w=="math"?s="http://www.w3.org/1998/Math/MathML":s||(s="http://www.w3.org/1999/xhtml"),r){for(u=0;u<r.length;u++)if((h=r[u])&&(w?h.localName==w:h.nodeType==3)){e=h,r[u]=null;break}}if(!e){if(b=p.ownerDocument||document,!w)return b.createTextNode(d);e=b.createElementNS(s,w,d.is?d:p),a&&(k.__m&&k.__m(t,r),a=!1),r=null}if(w){if(p=w=="template"&&e.content||e,r=w=="textarea"&&d.defaultValue!=null?null:r&&_e.call(p.childNodes),!a&&r)for(m={},u=0;u<e.attributes.length;u++)m[(h=e.attributes[u]).name]=h.value;for(u in m)h=m[u],u=="dangerouslySetInnerHTML"?l=h:u=="children"||u in d||u=="value"&&"defaultValue"in d||u=="checked"&&"defaultChecked"in d||J(e,u,null,h,s);for(u in d)h=d[u],u=="children"?c=h:u=="dangerouslySetInnerHTML"?g=h:u=="value"?v=h:u=="checked"?$=h:a&&typeof h!="function"||m[u]===h||J(e,u,h,m[u],s);g?(a||l&&(g.__html==l.__html||g.__html==e.innerHTML)||(e.innerHTML=g.__html),t.__k=[]):(l&&(e.textContent=""),(w=="foreignObject"||s=="http://www.w3.org/1998/Math/MathML"&&ut.test(w))&&(s="http://www.w3.org/1999/xhtml"),Ue(p,ue(c)?c:[c],t,n,o,s,r,i,r?r[0]:n.__k&&H(n,0),a,f),r&&r.some(O)),a&&w!="textarea"||(u="value",w=="progress"&&v==null?e.removeAttribute(u):v==null||v===e[u]&&(w!="progress"||v)||J(e,u,v,m[u],s),u="checked",$!=null&&$!=e[u]&&J(e,u,$,m[u],s))}else m===d||a&&e.data==d||(e.data=d);return e}function de(e,t,n,o){try{typeof e=="function"?t?t.__x=e(t)||1:o&&(o=o.__c||o.__e)&&(t=o.__x)&&(o.__x=null,typeof t=="function"?t():e(null)):e.current=t}catch(s){k.__e(s,n)}}function fe(e,t,n){var o,s,r,i;if(k.unmount&&k.unmount(e),!(o=e.ref)||o.current&&o.current!=e.__e||de(o,null,t,e),o=e.__c){if(o.componentWillUnmount)try{o.componentWillUnmount()}catch(a){k.__e(a,t)}o.__P=o.__n=null}if(o=e.__k)for(i=0;i<o.length;i++)o[i]&&fe(o[i],t,typeof e.type!="function"||n&&!e.props.__P);!n&&(o=e.__c)&&(o=o.__z)&&(s=X(o,r=[]))&&(o==e.__e&&r.some(O),O(s),O(o)),n||O(e.__e),e.__e=e.__c=e.__=null}function ht(e,t,n){return this.constructor(e,n)}function Fe(e,t){var n,o,s,r;k.__&&k.__(e,t),t.nodeType==9&&(t=t.documentElement),o=(n=e&&32&e.__u)?null:t.__k,t.__k=F(ne,{children:[e]}),s=[],r=[],le(t,t.__k,o||ee,ee,t.namespaceURI,o?null:t.firstChild?_e.call(t.childNodes):null,s,o?o.__e:t.firstChild,n,r),Be(s,t.__k,r),t.__k.props.children=null}k={__e:function(e,t,n,o){for(var s,r,i;t=t.__;)if((s=t.__c)&&!(1&s.__g)){s.__g|=4;try{if((i=(r=s.constructor)&&r.getDerivedStateFromError)&&s.setState(r.getDerivedStateFromError(e)),s.componentDidCatch&&(s.componentDidCatch(e,o||{}),i=1),i&&8&s.__g)return void(s.__g|=2)}catch(a){e=a}}throw Z=0,e}},Ae=0,at=function(e){return e!=null&&e.constructor===q},Y.prototype.setState=function(e,t){var n=this.__s;n&&n!=this.state||(n=this.__s=W({},this.state)),typeof e=="function"&&(e=e(W({},n),this.props)),e&&(W(n,e),this.__v&&(t&&this.__k.push(t),Ne(this)))},Y.prototype.forceUpdate=function(e){this.__v&&(this.__g|=4,e&&this.__h.push(e),Ne(this))},Y.prototype.render=ne,A=[],Z=0,He=function(e,t){return e.__v.__b-t.__v.__b},Q=Symbol(),Le=/(PointerCapture)$|Capture$/i,ce=0,ae={},ct=0;var oe,S,pe,qe,he=Object.is,ge=0,Xe=[],me=[],C=k,je=C.__b,ze=C.__r,Ke=C.diffed,Ve=C.__c,Ge=C.unmount,Je=C.__;function Ze(e,t){C.__h&&C.__h(S,e,ge||t),ge=0;var n=S.__H||(S.__H={__:[],__h:[]});return e>=n.__.length&&n.__.push({}),n.__[e]}function y(e){return ge=1,gt(et,e)}function gt(e,t,n){var o=Ze(oe++,2);if(o.t=e,!o.__c&&(o.__=[n?n(t):et(void 0,t),function(r){var i=(o.__N||o.__)[0],a=o.t(i,r);he(i,a)||(o.__N=[a,o.__[1]],o.__c.setState({}))}],o.__c=S,!S.__f)){S.__f=!0;var s=S.shouldComponentUpdate;S.shouldComponentUpdate=function(r,i,a){var f=this.__H;if(!f)return!0;var p=!1,u=this.props!=r;if(f.__.some(function(l){l.__N&&(p=!0,he(l.__[0],l.__N[0])||(u=!0))}),s){var g=s.call(this,r,i,a);return p?g||u:g}return!p||u}}return o.__}function B(e,t){var n=Ze(oe++,3);!C.__s&&vt(n.__H,t)&&(n.__P=!0,n.__=e,n.u=t,S.__H.__h.push(n))}function mt(){var e;do{for(;e=me.shift();)try{j(e)}catch(n){C.__e(n,{__:(e=e.__P)&&e.__v})}for(;e=Xe.shift();){var t=e.__H;if(e.__P&&t)try{t.__h.some(j),t.__h.some($e),t.__h=[]}catch(n){t.__h=[],C.__e(n,e.__v)}}}while(me.length)}C.__b=function(e){S=null,je&&je(e)},C.__=function(e,t){e&&t.__k&&t.__k.__m&&(e.__m=t.__k.__m),Je&&Je(e,t)},C.__r=function(e){ze&&ze(e),oe=0;var t=(S=e.__c).__H;t&&(pe==S?S.__h=[]:(t.__h.some(j),t.__h.some($e),oe=0),t.__h=[],t.__.some(function(n){n.__N&&(n.__=n.__N),n.u=n.__N=void 0})),pe=S},C.diffed=function(e){Ke&&Ke(e);var t=e.__c;t&&t.__H&&(t.__H.__h.length&&Ye(Xe.push(t)),t.__H.__.some(function(n){n.u&&(n.__H=n.u)})),pe=S=null},C.__c=function(e,t){t.some(function(n){try{n.__h.some(j),n.__h=n.__h.filter(function(o){return!o.__||$e(o)})}catch(o){n.__h=[function(){throw o}]}}),Ve&&Ve(e,t)},C.unmount=function(e){Ge&&Ge(e);var t,n,o=e.__c;o&&o.__H&&(o.__H.__.some(function(s){try{if(s.__P&&s.__c){if(n===void 0){for(n=e.__;n&&(!n.__c||!n.__c.__P);)n=n.__;n=n&&n.__c}s.__P=n,Ye(me.push(s))}else j(s)}catch(r){t=r}}),o.__H=void 0,t&&C.__e(t,o.__v))};var Qe=typeof requestAnimationFrame=="function";function $t(e){var t,n=function(){clearTimeout(o),Qe&&cancelAnimationFrame(t),setTimeout(e)},o=setTimeout(n,35);Qe&&(t=requestAnimationFrame(n))}function Ye(e){e!=1&&qe==C.requestAnimationFrame||((qe=C.requestAnimationFrame)||$t)(mt)}function j(e){var t=S,n=e.__c;typeof n=="function"&&(e.__c=void 0,n()),S=t}function $e(e){var t=S;e.__c=e.__(),S=t}function vt(e,t){return!e||e.length!=t.length||t.some(function(n,o){return!he(n,e[o])})}function et(e,t){return typeof t=="function"?t(e):t}var I=class extends Error{status;code;constructor(t,n,o){super(o),this.status=t,this.code=n}get routeMissing(){return this.status===404&&this.message.startsWith("no route for")}},ve="oauth-refresher.console.api-key",yt=location.pathname.replace(/\/console\/?$/,"");async function z(e,t,n,o){let s;try{s=await fetch(`${yt}${n}`,{method:t,headers:{authorization:`Bearer ${e}`,...o===void 0?{}:{"content-type":"application/json"}},...o===void 0?{}:{body:JSON.stringify(o)},credentials:"omit",cache:"no-store",referrerPolicy:"no-referrer"})}catch{throw new I(0,"network_error","The service could not be reached.")}let r=await s.text(),i=null;try{i=r===""?null:JSON.parse(r)}catch{i=null}if(!s.ok){let a=i?.error;throw new I(s.status,typeof a?.code=="string"?a.code:`http_${s.status}`,typeof a?.message=="string"?a.message:`HTTP ${s.status}`)}return i}function ye(e,t){return{scope:t,get:async n=>await z(e,"GET",n),post:async(n,o)=>await z(e,"POST",n,o),del:async n=>{await z(e,"DELETE",n)}}}async function ke(e){await z(e,"GET","/v1/providers/custom");let t="admin";try{await z(e,"GET","/v1/integrations")}catch(n){if(!(n instanceof I)||n.status!==403)throw n;t="tokens:read"}return sessionStorage.setItem(ve,e),ye(e,t)}function re(){return sessionStorage.getItem(ve)}function be(){sessionStorage.removeItem(ve)}var x=e=>encodeURIComponent(e);var _=Te.bind(Re),rt=["active","failing","needs_reauth"],kt=25,tt=7;function N(e){if(e==null)return"—";let t=Date.parse(e);if(Number.isNaN(t))return e;let n=Math.round((t-Date.now())/1e3),o=Math.abs(n),s=o<60?`${o} s`:o<3600?`${Math.round(o/60)} min`:o<172800?`${Math.round(o/3600)} h`:`${Math.round(o/86400)} d`;return n>=0?`in ${s}`:`${s} ago`}function ie(e){return e instanceof I?e.status===401?"That API key was not accepted (401 unauthorized). Check it and sign in again.":e.status===403?"This key may not do that (403 forbidden): it needs the admin scope.":e.status===0?e.message:`${e.message} (${e.status} ${e.code})`:e instanceof Error?e.message:String(e)}function L(e,t){let[n,o]=y({}),[s,r]=y(0);return B(()=>{let i=!0;return o({}),e().then(a=>i&&o({value:a}),a=>i&&o({error:a??new Error("failed")})),()=>{i=!1}},[...t,s]),[n.value,n.error,()=>r(i=>i+1)]}function K({status:e}){return _`<span class=${`badge ${e}`}>${e.replace("_"," ")}</span>`}function R({error:e}){return _`<p class="error" role="alert">${ie(e)}</p>`}function Ce({what:e}){return _`<p class="muted unavailable">${e} is not available on this service yet (the route answered 404).</p>`}function nt(){let e=location.hash.replace(/^#\/?/,""),[t="",n=""]=e.split("?",2),o=new URLSearchParams(n),s=t.split("/").map(r=>decodeURIComponent(r));return s[0]==="c"&&s[1]!==void 0&&s[2]!==void 0?{view:"connection",params:o,ids:[s[1],s[2]]}:s[0]==="connections"||s[0]==="providers"?{view:s[0],params:o}:{view:"integrations",params:o}}var it=e=>`#/c/${x(e.integration_id)}/${x(e.connection_id)}`,V=e=>`#/connections?${new URLSearchParams(e).toString()}`;function bt(){let[e,t]=y(nt);return B(()=>{let n=()=>t(nt());return addEventListener("hashchange",n),()=>removeEventListener("hashchange",n)},[]),e}function wt({onSignedIn:e,notice:t}){let[n,o]=y(""),[s,r]=y(!1),[i,a]=y(void 0);return _`<main class="signin">
    <h1>oauth-refresher console</h1>
    <form onSubmit=${async p=>{p.preventDefault(),r(!0),a(void 0);try{e(await ke(n.trim()))}catch(u){a(u)}finally{r(!1)}}}>
      <label for="api-key">API key</label>
      <input id="api-key" name="api-key" type="password" autocomplete="off" spellcheck="false"
        placeholder="ork_…" value=${n} onInput=${p=>o(p.target.value)} />
      <button type="submit" class="primary" disabled=${s||n.trim()===""}>Sign in</button>
    </form>
    ${t===void 0?null:_`<p class="muted">${t}</p>`}
    ${i===void 0?null:_`<${R} error=${i} />`}
    <p class="muted">The key stays in this tab only (sessionStorage): never in a URL, a cookie or a log.
      An admin key sees everything and may act; a <code>tokens:read</code> key sees a read-only console.</p>
  </main>`}async function Ct(e,t){let n=await e.get(`/v1/connections?integration_id=${x(t)}&limit=20`),o=Date.now(),s=Array.from({length:24},()=>({ok:0,failed:0})),r=await Promise.all(n.items.map(i=>e.get(`/v1/integrations/${x(i.integration_id)}/connections/${x(i.connection_id)}/history?limit=200`)));for(let i of r.flatMap(a=>a.items)){if(i.kind!=="refresh")continue;let a=o-Date.parse(i.at),f=23-Math.floor(a/36e5),p=s[f];p!==void 0&&(i.outcome==="failed"?p.failed+=1:i.outcome==="refreshed"&&(p.ok+=1))}return{buckets:s,sampled:n.items.length}}function St({buckets:e}){let t=Math.max(1,...e.map(s=>s.ok+s.failed)),n=10,o=48;return _`<svg class="chart" viewBox=${`0 0 ${e.length*n} ${o}`} role="img"
    aria-label="Refreshes (green) and failures (red) per hour over the last 24 hours">
    ${e.map((s,r)=>{let i=s.ok/t*o,a=s.failed/t*o,f=e.length-1-r;return _`<g key=${r}>
        <title>${f===0?"this hour":`${f} h ago`}: ${s.ok} refreshed, ${s.failed} failed</title>
        <rect x=${r*n+1} y=${o-i-a} width=${n-2} height=${i} class="bar-ok" />
        <rect x=${r*n+1} y=${o-a} width=${n-2} height=${a} class="bar-failed" />
      </g>`})}
  </svg>`}function xt({api:e,integrationId:t}){let[n,o]=L(()=>Ct(e,t),[t]);if(o instanceof I&&o.routeMissing)return _`<${Ce} what="Refresh history" />`;if(o!==void 0)return _`<${R} error=${o} />`;if(n===void 0)return _`<p class="muted">Loading activity…</p>`;let s=n.buckets.reduce((r,i)=>r+i.ok+i.failed,0);return _`<div class="activity">
    <${St} buckets=${n.buckets} />
    <p class="muted small">
      ${`Last 24 h: ${s} refresh attempts in the history of ${n.sampled} connection${n.sampled===1?"":"s"} (green refreshed, red failed).`}
    </p>
  </div>`}function Pt({api:e,integration:t}){let n=t.integration_id,[o,s]=L(()=>e.get(`/v1/integrations/${x(n)}/health`),[n]);if(s instanceof I&&s.routeMissing)return _`<${Ce} what="Health" />`;if(s!==void 0)return _`<${R} error=${s} />`;if(o===void 0)return _`<p class="muted">Loading health…</p>`;let r=Object.entries(o.failures_24h);return _`<div class="health">
    <div class="counts">
      ${rt.map(i=>_`<a class=${`count ${i}`} href=${V({integration_id:n,status:i})}>
          <strong>${o.connections[i]}</strong> ${i.replace("_"," ")}</a>`)}
    </div>
    <dl>
      <dt>Failures (24 h)</dt>
      <dd>${r.length===0?"none":r.map(([i,a])=>_`<span class="chip">${i} ${a}</span>`)}</dd>
      <dt>Next refresh</dt><dd>${N(o.next_refresh_at)}</dd>
      ${o.refresh_latency_ms===void 0?null:_`<dt>Refresh latency</dt><dd>p50 ${o.refresh_latency_ms.p50??"—"} ms · p95 ${o.refresh_latency_ms.p95??"—"} ms</dd>`}
      ${o.reauth_due_within_lead===void 0?null:_`<dt>Reauth due soon</dt><dd><a href=${V({integration_id:n,reauth:"1"})}>${o.reauth_due_within_lead}</a></dd>`}
    </dl>
  </div>`}function It({api:e,integration:t}){let n=t.integration_id,[o,s]=y(void 0),r=async()=>{try{let i=await e.post(`/v1/integrations/${x(n)}/retry`);s(`${i.retried} held connection${i.retried===1?"":"s"} made due now`+(i.complete?".":"; more remain: press again."))}catch(i){s(ie(i))}};return _`<section class="card integration" data-integration=${n}>
    <header>
      <h2>${n}</h2>
      <span class="muted">${t.provider} · client ${t.client_id}</span>
      <a class="right" href=${V({integration_id:n})}>Connections →</a>
    </header>
    <${Pt} api=${e} integration=${t} />
    <${xt} api=${e} integrationId=${n} />
    ${e.scope==="admin"?_`<p><button onClick=${r} title="Makes connections held by a misconfiguration (failing) due now">
            Retry held connections</button> ${o===void 0?null:_`<span class="muted">${o}</span>`}</p>`:null}
  </section>`}function st(){let[e,t]=y(""),[n,o]=y("");return _`<section class="card">
    <p>This key has the <code>tokens:read</code> scope: listing integrations and connections needs an admin key.
      It may read one connection and its history.</p>
    <form class="inline" onSubmit=${r=>{r.preventDefault(),location.hash=it({integration_id:e.trim(),connection_id:n.trim()})}}>
      <input aria-label="Integration id" placeholder="integration id" value=${e}
        onInput=${r=>t(r.target.value)} />
      <input aria-label="Connection id" placeholder="connection id" value=${n}
        onInput=${r=>o(r.target.value)} />
      <button type="submit">Open connection</button>
    </form>
  </section>`}function Tt({api:e}){let[t,n]=L(()=>e.scope==="admin"?e.get("/v1/integrations"):Promise.resolve(null),[e]);return e.scope!=="admin"?_`<${st} />`:n!==void 0?_`<${R} error=${n} />`:t==null?_`<p class="muted">Loading…</p>`:t.items.length===0?_`<p class="muted">No integrations yet: register one with <code>PUT /v1/integrations/{id}</code>.</p>`:_`<div class="grid">
    ${t.items.map(o=>_`<${It} key=${o.integration_id} api=${e} integration=${o} />`)}
  </div>`}function Nt(e,t){if(t==="")return!0;let n=t.toLowerCase();return e.connection_id.toLowerCase().includes(n)||JSON.stringify(e.metadata).toLowerCase().includes(n)||(e.account_id??"").toLowerCase().includes(n)}function Et({api:e,params:t}){let n=t.get("integration_id")??"",o=t.get("status")??"",s=t.get("reauth")==="1",[r,i]=y(t.get("q")??""),[a,f]=y([]),p=a.at(-1),u=`${n}|${o}|${s}`;B(()=>f([]),[u]);let[g]=L(()=>e.scope==="admin"?e.get("/v1/integrations"):Promise.resolve(null),[e]),l=new Date(Date.now()+tt*864e5).toISOString(),[c,h]=L(()=>{if(e.scope!=="admin")return Promise.resolve(null);let d=new URLSearchParams({limit:String(kt)});return n!==""&&d.set("integration_id",n),o!==""&&d.set("status",o),s&&d.set("reauth_due_before",l),p!==void 0&&d.set("cursor",p),e.get(`/v1/connections?${d.toString()}`)},[e,u,p]),[v]=L(()=>n===""||r.trim()===""?Promise.resolve(null):e.get(`/v1/integrations/${x(n)}/connections/${x(r.trim())}`).catch(()=>null),[e,n,r]);if(e.scope!=="admin")return _`<${st} />`;let $=(d,w)=>{let M=new URLSearchParams(t);w===""?M.delete(d):M.set(d,w),location.hash=`#/connections?${M.toString()}`},b=c?.items.some(d=>"reauth_due_at"in d)??!0,m=(c?.items??[]).filter(d=>Nt(d,r.trim()));return s&&(m=m.filter(d=>d.reauth_due_at!=null&&d.reauth_due_at<l)),v!=null&&!m.some(d=>d.connection_id===v.connection_id)&&(m=[v,...m]),_`<section class="card">
    <form class="filters" onSubmit=${d=>d.preventDefault()}>
      <label>Integration
        <select name="integration" value=${n} onChange=${d=>$("integration_id",d.target.value)}>
          <option value="">all</option>
          ${(g?.items??[]).map(d=>_`<option value=${d.integration_id}>${d.integration_id}</option>`)}
        </select></label>
      <label>Status
        <select name="status" value=${o} onChange=${d=>$("status",d.target.value)}>
          <option value="">any</option>
          ${rt.map(d=>_`<option value=${d}>${d.replace("_"," ")}</option>`)}
        </select></label>
      <label class="check"><input type="checkbox" name="reauth" checked=${s}
        onChange=${d=>$("reauth",d.target.checked?"1":"")} />
        reauth due within ${tt} days</label>
      <label class="grow">Search
        <input type="search" name="q" placeholder="connection id, metadata or account" value=${r}
          onInput=${d=>i(d.target.value)} /></label>
    </form>
    ${s&&!b?_`<p class="muted">This service shows no reauth dates yet (api.md v1.1 <code>reauth_due_at</code>).</p>`:null}
    ${h!==void 0?_`<${R} error=${h} />`:null}
    ${c===void 0?_`<p class="muted">Loading…</p>`:_`<table class="connections">
            <thead><tr><th>Connection</th><th>Integration</th><th>Status</th><th>Last error</th><th>Next refresh</th><th>Metadata</th></tr></thead>
            <tbody>
              ${m.map(d=>_`<tr key=${`${d.integration_id}/${d.connection_id}`} data-connection=${d.connection_id}>
                  <td><a href=${it(d)}>${d.connection_id}</a></td>
                  <td>${d.integration_id}</td>
                  <td><${K} status=${d.status} /></td>
                  <td>${d.last_error===null?"—":d.last_error.code}</td>
                  <td>${N(d.next_refresh_at)}</td>
                  <td class="meta">${Object.keys(d.metadata).length===0?"—":JSON.stringify(d.metadata)}</td>
                </tr>`)}
              ${m.length===0?_`<tr><td colspan="6" class="muted">No connections match on this page.</td></tr>`:null}
            </tbody>
          </table>`}
    <p class="pager">
      <button disabled=${a.length===0} onClick=${()=>f(d=>d.slice(0,-1))}>← Previous</button>
      <span class="muted">page ${a.length+1}${r.trim()===""?"":" (search filters the page shown)"}</span>
      <button disabled=${c?.next_cursor==null} onClick=${()=>c?.next_cursor!=null&&f(d=>[...d,c.next_cursor])}>Next →</button>
    </p>
  </section>`}function At(e){switch(e.kind){case"refresh":return _`<span>${e.trigger??""} refresh → <strong>${e.outcome??"?"}</strong>
        ${e.error==null?null:_` <span class="chip failing">${e.error.code}</span>`}
        ${e.duration_ms===void 0?null:_` <span class="muted">${e.duration_ms} ms</span>`}</span>`;case"transition":return _`<span><${K} status=${e.from??"?"} /> → <${K} status=${e.to??"?"} />
        ${e.delivery===void 0?null:_` webhook <span class=${`chip ${e.delivery}`}>${e.delivery}</span>`}</span>`;case"token_reads":return _`<span>${e.count??0} token reads on ${e.day??""}</span>`;case"import":return _`<span>credentials imported</span>`;case"reconnect":return _`<span>reconnected through the connect flow</span>`;default:return _`<span>${e.kind}</span>`}}function Ht({api:e,path:t,version:n}){let[o,s]=y([]),[r,i]=y(null),[a,f]=y(void 0),[p,u]=y(!0),g=async l=>{u(!0);try{let c=await e.get(`${t}/history?limit=50${l===null?"":`&cursor=${encodeURIComponent(l)}`}`);s(h=>l===null?c.items:[...h,...c.items]),i(c.next_cursor??null),f(void 0)}catch(c){f(c)}finally{u(!1)}};return B(()=>{g(null)},[t,n]),a instanceof I&&a.routeMissing?_`<${Ce} what="History" />`:_`<section class="card history">
    <h3>History</h3>
    ${a===void 0?null:_`<${R} error=${a} />`}
    <table>
      <thead><tr><th>When</th><th>What</th></tr></thead>
      <tbody>
        ${o.map((l,c)=>_`<tr key=${c} class=${`kind-${l.kind}`}><td title=${l.at}>${N(l.at)}</td><td>${At(l)}</td></tr>`)}
        ${!p&&o.length===0?_`<tr><td colspan="2" class="muted">Nothing recorded yet.</td></tr>`:null}
      </tbody>
    </table>
    ${r===null?null:_`<p><button onClick=${()=>g(r)} disabled=${p}>Older…</button></p>`}
  </section>`}function Lt({session:e}){let[t,n]=y(!1),o=async()=>{try{await navigator.clipboard.writeText(e.authorization_url),n(!0)}catch{n(!1)}};return _`<div class="reconnect">
    <label for="reconnect-url">Send this link to the customer (single use, expires ${N(e.expires_at)}):</label>
    <div class="inline">
      <input id="reconnect-url" readonly value=${e.authorization_url} onFocus=${s=>s.target.select()} />
      <button onClick=${o}>${t?"Copied":"Copy"}</button>
    </div>
  </div>`}function Rt({api:e,connection:t,onChange:n}){let o=`/v1/integrations/${x(t.integration_id)}/connections/${x(t.connection_id)}`,[s,r]=y(!1),[i,a]=y(void 0),[f,p]=y(void 0),[u,g]=y(!1);if(e.scope!=="admin")return _`<p class="muted readonly-note">Read-only key: refreshing, reconnect links, retries and deleting need an admin key.</p>`;let l=async(h,v)=>{r(!0),a(void 0);try{await v(),a({text:`${h}: done.`,error:!1})}catch($){a({text:`${h}: ${ie($)}`,error:!0})}finally{r(!1)}},c=t.status!=="active";return _`<section class="card actions">
    <h3>Actions</h3>
    <p class="buttons">
      <button disabled=${s} onClick=${()=>l("Refresh",async()=>n(await e.post(`${o}/refresh`)))}>Refresh now</button>
      <button disabled=${s} onClick=${()=>l("Reconnect link",async()=>p(await e.post("/v1/connect-sessions",{integration_id:t.integration_id,connection_id:t.connection_id})))}>Create reconnect link</button>
      <button disabled=${s||!c} title="For a connection held by a misconfiguration or a failure the provider never called final"
        onClick=${()=>l("Retry",async()=>n(await e.post(`${o}/retry`)))}>Retry</button>
      <button class="danger" disabled=${s} onClick=${()=>g(!0)}>Delete…</button>
    </p>
    ${u?_`<div class="confirm" role="alertdialog" aria-label="Confirm delete">
            <p>Delete <strong>${t.connection_id}</strong>? Its tokens are gone for good; the customer must connect again.</p>
            <button class="danger" onClick=${()=>l("Delete",async()=>{await e.del(o),g(!1),n(null)})}>Delete for good</button>
            <button onClick=${()=>g(!1)}>Cancel</button>
          </div>`:null}
    ${f===void 0?null:_`<${Lt} session=${f} />`}
    ${i===void 0?null:_`<p class=${i.error?"error":"ok"} role="status">${i.text}</p>`}
  </section>`}function Mt({api:e,ids:t}){let[n,o]=t,s=`/v1/integrations/${x(n)}/connections/${x(o)}`,[r,i,a]=L(()=>e.get(s),[s]),[f,p]=y(void 0),[u,g]=y(0);B(()=>p(void 0),[r]);let l=f===void 0?r:f;if(f===null)return _`<section class="card"><p class="ok">Deleted ${o}.</p><a href=${V({integration_id:n})}>Back to the connections</a></section>`;if(i!==void 0)return _`<${R} error=${i} />`;if(l==null)return _`<p class="muted">Loading…</p>`;let c=[["Status",_`<${K} status=${l.status} />`],["Provider",l.provider],["Account",l.account_id??"—"],["Access token expires",N(l.access_token_expires_at)],["Last refresh",N(l.last_refresh_at)],["Next refresh",N(l.next_refresh_at)],["Consecutive failures",String(l.consecutive_failures)],["Last error",l.last_error===null?"—":`${l.last_error.code}${l.last_error.provider_error===null?"":` (${l.last_error.provider_error})`}: ${l.last_error.message}`],...l.refresh_token_expires_at===void 0?[]:[["Refresh token expires",N(l.refresh_token_expires_at)]],...l.reauth_due_at===void 0?[]:[["Reauth due",N(l.reauth_due_at)]],["Created",l.created_at],["Updated",l.updated_at]];return _`<div class="connection" data-status=${l.status}>
    <p><a href=${V({integration_id:n})}>← ${n}</a></p>
    <h2>${o} <${K} status=${l.status} /> <button class="small" onClick=${()=>{a(),g(h=>h+1)}}>Reload</button></h2>
    <div class="columns">
      <section class="card">
        <dl class="fields">${c.map(([h,v])=>_`<dt>${h}</dt><dd>${v}</dd>`)}</dl>
        <h3>Metadata</h3>
        <pre>${JSON.stringify(l.metadata,null,2)}</pre>
      </section>
      <${Rt} api=${e} connection=${l} onChange=${h=>{p(h),g(v=>v+1)}} />
    </div>
    <${Ht} api=${e} path=${s} version=${u} />
  </div>`}var we=e=>e===null?"unknown":e>=86400?`${Math.round(e/86400)} d`:e>=3600?`${Math.round(e/3600)} h`:`${e} s`;function Dt({api:e}){let[t,n]=L(()=>e.get("/v1/providers"),[e]),[o,s]=y("");if(n!==void 0)return _`<${R} error=${n} />`;if(t===void 0)return _`<p class="muted">Loading…</p>`;let r=t.items.filter(i=>`${i.provider} ${i.display_name}`.toLowerCase().includes(o.toLowerCase()));return _`<section class="card">
    <p class="filters"><label class="grow">Find a provider <input type="search" value=${o}
      onInput=${i=>s(i.target.value)} /></label></p>
    <table class="providers">
      <thead><tr><th>Provider</th><th>Rotates refresh tokens</th><th>Reuse grace</th><th>Grant lifetime</th><th>Idle lifetime</th><th>Client auth</th><th>Known behaviours</th></tr></thead>
      <tbody>
        ${r.map(i=>_`<tr key=${i.provider}>
            <td><strong>${i.display_name}</strong><br /><code>${i.provider}</code></td>
            <td>${i.rotates_refresh_token===null?"unknown":i.rotates_refresh_token?"yes":"no"}</td>
            <td>${we(i.reuse_grace_seconds)}</td>
            <td>${we(i.grant_lifetime_seconds)}</td>
            <td>${we(i.refresh_token_idle_seconds)}</td>
            <td>${i.client_auth??"unknown"}</td>
            <td><details><summary>${i.quirks.length} quirk${i.quirks.length===1?"":"s"}, ${i.sources.length} source${i.sources.length===1?"":"s"}</summary>
              <ul>${i.quirks.map(a=>_`<li>${a}</li>`)}</ul>
              <ul class="sources">${i.sources.map(a=>_`<li><a href=${a} rel="noreferrer noopener" target="_blank">${a}</a></li>`)}</ul>
            </details></td>
          </tr>`)}
      </tbody>
    </table>
  </section>`}function Ut({api:e,onSignOut:t}){let n=bt(),o=(r,i,a)=>_`<a href=${i} class=${n.view===r||r==="connections"&&n.view==="connection"?"active":""}>${a}</a>`,s;return n.view==="connection"&&n.ids!==void 0?s=_`<${Mt} key=${n.ids.join("/")} api=${e} ids=${n.ids} />`:n.view==="connections"?s=_`<${Et} api=${e} params=${n.params} />`:n.view==="providers"?s=_`<${Dt} api=${e} />`:s=_`<${Tt} api=${e} />`,_`<div class="shell">
    <nav>
      <strong class="brand">oauth-refresher</strong>
      ${o("integrations","#/integrations","Integrations")}
      ${o("connections","#/connections","Connections")}
      ${o("providers","#/providers","Providers")}
      <span class="right">
        <span class=${`scope ${e.scope==="admin"?"admin":"readonly"}`}>${e.scope==="admin"?"admin":"read-only (tokens:read)"}</span>
        <button class="small" onClick=${t}>Sign out</button>
      </span>
    </nav>
    <main>${s}</main>
  </div>`}function Ot(){let[e,t]=y(null),[n,o]=y(re()!==null),[s,r]=y(void 0);return B(()=>{let i=re();i!==null&&ke(i).then(t,a=>{be(),r(ie(a))}).finally(()=>o(!1))},[]),n?_`<p class="muted">Signing in…</p>`:e===null?_`<${wt} onSignedIn=${i=>t(ye(re()??"",i.scope))} notice=${s} />`:_`<${Ut} api=${e} onSignOut=${()=>{be(),t(null)}} />`}var ot=document.getElementById("app");ot!==null&&Fe(_`<${Ot} />`,ot);
